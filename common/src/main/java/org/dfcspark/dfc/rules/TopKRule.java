package org.dfcspark.dfc.rules;

import org.dfcspark.dfc.FeatureSelection;
import org.dfcspark.dfc.SparseCodes;

/** Keep the k largest activations of each row (the paper's crosscoder). */
public final class TopKRule implements SparsityRule {
    @Override
    public String name() {
        return "topk";
    }

    @Override
    public double select(float[] pre, int rows, int dict, int k, float[] codeNorms, double threshold, boolean training,
                         int threads, SparseCodes out) {
        FeatureSelection.topKPerRow(pre, rows, dict, k, null, null, out, threads);
        return Double.NaN;
    }
}
