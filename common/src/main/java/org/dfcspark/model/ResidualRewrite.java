package org.dfcspark.model;

/**
 * An edit computed from the residual itself, at the moment the forward computes it (e.g. replacing it by a
 * crosscoder's reconstruction, which depends on the residual). Used by {@link Intervention.Rewrite}.
 */
@FunctionalInterface
public interface ResidualRewrite {
    /**
     * The selected residuals of one forward step, in batch-row order.
     *
     * @param promptStep true in the prompt forward, false in a decode step
     * @param rows       batch row of each vector
     * @param positions  position of each vector in its row's own tokens (prompt index, or prompt length + k)
     * @param tokens     the token id at each of those positions
     */
    record Site(boolean promptStep, int[] rows, int[] positions, int[] tokens) {}

    /** Returns the new residual for each selected vector ({@code residuals.length} vectors of the same width). */
    float[][] rewrite(Site site, float[][] residuals);
}
