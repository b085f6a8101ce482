package org.dfcspark.dfc;

import java.util.Map;

/**
 * What one batch measured.
 *
 * @param total           the loss that is differentiated
 * @param terms           the loss's named terms, in logging order (paper: mse, l1_shared, l1_exclusive; reference:
 *                        l2, auxk, pre_norm_auxk, mse; anthropic: sse, l1)
 * @param fvuA            fraction of variance unexplained for model A over the batch (normalised space)
 * @param fvuB            same for model B
 * @param l0              mean number of active features per row
 * @param dead            latents counted dead after this batch (0 when no counters were given)
 * @param minActiveRanked smallest activation × code norm among the selected entries (batchtopk threshold update)
 */
public record LossTerms(double total, Map<String, Double> terms, double fvuA, double fvuB, double l0, int dead,
                        double minActiveRanked) {
    public double term(String name) {
        Double v = terms.get(name);
        if (v == null) throw new IllegalArgumentException("no loss term '" + name + "' (have " + terms.keySet() + ")");
        return v;
    }
}
