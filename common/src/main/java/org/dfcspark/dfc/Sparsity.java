package org.dfcspark.dfc;

import java.util.Arrays;
import java.util.Locale;

/** How the ReLU activations are made sparse (SCIENCE.md §3). */
public enum Sparsity {
    /** Keep the k largest activations of each row (the paper's crosscoder). */
    TOPK,
    /**
     * Keep the k·B largest of the whole batch, ranked by activation × (‖d_A‖ + ‖d_B‖), values unscaled; at
     * inference a learned threshold on the ranked value replaces the batch rule (the reference implementation).
     */
    BATCHTOPK,
    /** Every positive activation; sparsity comes from an L1 penalty (Anthropic's crosscoder). */
    RELU;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Sparsity parse(String s) {
        for (Sparsity v : values()) if (v.id().equals(s)) return v;
        throw new IllegalArgumentException("unknown sparsity '" + s + "' (expected one of " + ids(values()) + ")");
    }

    static String ids(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).toList().toString();
    }
}
