package org.dfcspark.dfc.rules;

import java.util.Map;
import org.dfcspark.dfc.CrosscoderConfig;

/**
 * A training objective (exact formulas in SCIENCE.md §3 and docs/DESIGN.md). One class per loss, found by name in
 * {@link LossRules}; losses are stateless: their coefficients come from the {@link CrosscoderConfig}.
 */
public interface LossRule {
    /** The loss's name in config.json ({@code "loss": {"kind": ...}}). */
    String name();

    /**
     * The loss of {@code batch}: returns the total, puts the named terms (in logging order), writes d loss / d x̂
     * ({@link LossBatch#reconstructionGradient()}) and d(sparsity penalty) / d f_j into {@code penalty[j]}.
     */
    double loss(LossBatch batch, CrosscoderConfig cfg, Map<String, Double> terms, float[] penalty);

    /** Whether the loss uses dead-latent counters (AuxK); the caller must then pass them. */
    default boolean needsDeadLatents() {
        return false;
    }

    /** Whether the loss reads the code norms ‖d_A‖ + ‖d_B‖. */
    default boolean needsCodeNorms() {
        return false;
    }

    /**
     * λ of a decoder-norm-weighted penalty λ/B · Σ_b f_bj · ‖W_dec[j,m]‖ in the loss, whose W_dec gradient the caller
     * adds to the parameter gradients; 0 = no such term.
     */
    default double decoderNormPenalty(CrosscoderConfig cfg) {
        return 0;
    }
}
