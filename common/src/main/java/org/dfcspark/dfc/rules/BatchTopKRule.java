package org.dfcspark.dfc.rules;

import org.dfcspark.dfc.FeatureSelection;
import org.dfcspark.dfc.SparseCodes;

/**
 * Keep the k·B largest entries of the whole batch, ranked by activation × (‖d_A‖ + ‖d_B‖), values unscaled; at
 * inference a learned threshold on the ranked value replaces the batch rule (the reference implementation).
 */
public final class BatchTopKRule implements SparsityRule {
    @Override
    public String name() {
        return "batchtopk";
    }

    @Override
    public boolean needsCodeNorms() {
        return true;
    }

    @Override
    public boolean learnsThreshold() {
        return true;
    }

    @Override
    public double select(float[] pre, int rows, int dict, int k, float[] codeNorms, double threshold, boolean training,
                         int threads, SparseCodes out) {
        if (training) return FeatureSelection.batchTopK(pre, rows, dict, (long) k * rows, codeNorms, out, threads);
        FeatureSelection.threshold(pre, rows, dict, codeNorms, threshold, out, threads);
        return Double.NaN;
    }
}
