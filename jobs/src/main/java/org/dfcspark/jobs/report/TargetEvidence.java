package org.dfcspark.jobs.report;

import java.util.List;
import java.util.Map;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.jobs.evaluate.EvaluationTarget;

/**
 * What the report computed for one crosscoder at one hook of one evaluation (the model forwards the tables do not
 * hold): the shown features' last-prompt-token activations on the ranking prompts, their top-activating contexts,
 * the per-latent decoder geometry and the decomposition of the mean A−B difference.
 *
 * @param onTool      feature → activation at the last prompt token of each ranking tool prompt (the ranking's input)
 * @param onGeneric   the same on the generic prompts
 * @param contexts    feature → its top contexts, highest activation first
 * @param decoder     one entry per latent of the dictionary
 * @param meanDiff    the mean A−B difference of the ranking prompts' last-token pairs, split by source
 */
public record TargetEvidence(Evaluation evaluation, EvaluationTarget target, CrosscoderConfig config, List<ShownFeature> features,
                             Map<Integer, double[]> onTool, Map<Integer, double[]> onGeneric, Map<Integer, List<Context>> contexts,
                             List<Latent> decoder, Diagnostics.Decomposition meanDiff) {

    public String protocol() {
        return evaluation.protocol();
    }

    /** A window of tokens around one top activation; {@code center} indexes the activating token in the window. */
    public record Context(String promptId, String promptSet, int position, double activation, List<String> tokens, double[] activations,
                          int center) implements java.io.Serializable {}

    /**
     * One latent's decoder: the norms of its A and B halves (raw units: divided by the normalisation scale), the
     * relative norm ‖d_A‖ / (‖d_A‖ + ‖d_B‖) (1 = A only, NaN when both are 0), and the cosine of the two halves (NaN
     * when either is 0).
     */
    public record Latent(int feature, String partition, double normA, double normB, double relNormA, double cosine) {}
}
