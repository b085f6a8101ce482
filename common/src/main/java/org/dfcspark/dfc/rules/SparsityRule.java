package org.dfcspark.dfc.rules;

import org.dfcspark.dfc.SparseCodes;

/**
 * How pre-activations become sparse codes (SCIENCE.md §3). One class per rule, found by name in {@link SparsityRules};
 * rules are stateless: the hyperparameter (k) and the learned state (threshold) come in as arguments.
 */
public interface SparsityRule {
    /** The rule's name in config.json ({@code "sparsity"}). */
    String name();

    /** Whether {@link #select} ranks by activation × code norm, so the caller must compute the code norms. */
    default boolean needsCodeNorms() {
        return false;
    }

    /** Whether training batches teach the rule an inference threshold (from {@link #select}'s return value). */
    default boolean learnsThreshold() {
        return false;
    }

    /**
     * Writes the selected entries of {@code pre (rows × dict)} to {@code out}.
     *
     * @param k         active features per row (or per row on average); unused by rules without a k
     * @param codeNorms ‖d_A‖ + ‖d_B‖ per feature; null unless {@link #needsCodeNorms()}
     * @param threshold learned inference threshold (negative = not learned yet); used only when not training
     * @param training  training batch (true) or inference (false)
     * @return the smallest selected activation × code norm when {@link #learnsThreshold()} and training, else NaN
     */
    double select(float[] pre, int rows, int dict, int k, float[] codeNorms, double threshold, boolean training,
                  int threads, SparseCodes out);
}
