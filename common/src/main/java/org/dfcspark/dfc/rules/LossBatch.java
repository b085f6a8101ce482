package org.dfcspark.dfc.rules;

import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.SparseCodes;

/**
 * What a {@link LossRule} sees of one training batch, in normalised space. The arrays are live views of the step's
 * work buffers (rows × 2d, row-major, model A then B); only {@link #reconstructionGradient()} is written by the rule.
 */
public interface LossBatch {
    int rows();

    /** Width of one model's activations. */
    int d();

    /** 2d. */
    int width();

    int dictSize();

    Partition partition();

    /** The rows x. */
    float[] input();

    /** The reconstruction x̂ (with decoder bias). */
    float[] reconstruction();

    /** d loss / d x̂: the rule writes it for all rows × 2d entries. */
    float[] reconstructionGradient();

    /** Active features of the batch. */
    SparseCodes codes();

    /** ‖d_A‖ + ‖d_B‖ per feature; null unless the sparsity or the loss rule asked for them. */
    float[] codeNorms();

    /** Σ ‖x_m − x̂_m‖² over the batch, per model m. */
    double[] sse();

    /** ‖x_m − x̂_m‖² of row b and model m at [2b + m]. */
    double[] rowSse();

    /**
     * Runs AuxK over the dead latents (needs {@link LossRule#needsDeadLatents()}) and prepares its gradient, scaled
     * by {@code alpha}, for the backward pass. Returns {auxk, pre-normalisation auxk (−1 when nothing is dead)}.
     */
    double[] auxK(double alpha);
}
