package org.dfcspark.dfc;

import java.util.Locale;

/** Training objective (exact formulas in SCIENCE.md §3 and docs/DESIGN.md). */
public enum LossKind {
    /** mean squared error over all elements + λ_excl·(mean|f_A∪S| + mean|f_B∪S|)/2 + λ_sh·mean|f_S| (the paper). */
    PAPER,
    /** mean over (row, model) of ‖x_m − x̂_m‖₂ + α·AuxK over dead latents (the reference implementation). */
    REFERENCE,
    /** mean over rows of Σ_m ‖x_m − x̂_m‖² + λ·Σ_i f_i·Σ_m ‖d_i^m‖ (Anthropic's crosscoder). */
    ANTHROPIC;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LossKind parse(String s) {
        for (LossKind v : values()) if (v.id().equals(s)) return v;
        throw new IllegalArgumentException("unknown loss '" + s + "' (expected one of " + Sparsity.ids(values()) + ")");
    }
}
