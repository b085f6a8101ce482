package org.dfcspark.eval;

/**
 * The edit of one condition at a batch of positions: the new residuals of the edited model, given its own residuals
 * and the other model's at the same tokens (the crosscoder reads the pair).
 */
@FunctionalInterface
public interface PairEdit {
    /** {@code own[n][d]} and {@code partner[n][d]} → the edited {@code [n][d]}. */
    float[][] apply(float[][] own, float[][] partner);
}
