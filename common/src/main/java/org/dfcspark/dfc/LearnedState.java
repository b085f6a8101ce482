package org.dfcspark.dfc;

/**
 * What training learns about a crosscoder besides its weights, kept apart from the hyperparameters of
 * {@link CrosscoderConfig}: the normalisation statistics (fitted on the training data) and the BatchTopK inference
 * threshold (an EMA over training batches). Stored in config.json under the keys {@code normalization} and
 * {@code threshold}.
 *
 * @param normalization null = identity
 * @param threshold     batchtopk inference threshold on activation × code norm; negative = not learned yet
 */
public record LearnedState(Normalization normalization, double threshold) {
    /** Nothing learned yet: identity normalisation, no threshold. */
    public static final LearnedState NONE = new LearnedState(null, -1);

    public LearnedState withNormalization(Normalization n) {
        return new LearnedState(n, threshold);
    }

    public LearnedState withThreshold(double t) {
        return new LearnedState(normalization, t);
    }
}
