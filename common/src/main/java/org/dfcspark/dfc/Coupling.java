package org.dfcspark.dfc;

import java.util.Locale;

/**
 * How the two models' decoders relate (ours; see ORGANISM-RECIPE.md §6 and docs/DESIGN.md).
 * <ul>
 *   <li>{@code separate} (the paper): each model has its own decoder vector for a shared feature and its own
 *   decoder bias.</li>
 *   <li>{@code tied}: a shared feature has one decoder vector used by both models and both models share one
 *   decoder bias (and one normalisation), so any A−B difference has to go through exclusive features. Sound when A
 *   is fine-tuned from B (aligned residual bases). Stored in the paper's layout with both halves equal.</li>
 * </ul>
 */
public enum Coupling {
    SEPARATE, TIED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Coupling parse(String s) {
        for (Coupling v : values()) if (v.id().equals(s)) return v;
        throw new IllegalArgumentException("unknown decoder coupling '" + s + "' (expected one of " + Sparsity.ids(values()) + ")");
    }
}
