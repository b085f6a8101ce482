package org.dfcspark.dfc.rules;

import org.dfcspark.dfc.FeatureSelection;
import org.dfcspark.dfc.SparseCodes;

/** Every positive activation; sparsity comes from an L1 penalty in the loss (Anthropic's crosscoder). */
public final class ReluRule implements SparsityRule {
    @Override
    public String name() {
        return "relu";
    }

    @Override
    public double select(float[] pre, int rows, int dict, int k, float[] codeNorms, double threshold, boolean training,
                         int threads, SparseCodes out) {
        FeatureSelection.relu(pre, rows, dict, out, threads);
        return Double.NaN;
    }
}
