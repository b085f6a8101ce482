package org.dfcspark.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What {@link Generator#generate} returns, per input row: the generated ids (up to and including an EOS id),
 * each token's log-probability under the unmodified softmax of its step's logits, prompt-forward captures and,
 * when asked for, the raw step logits.
 */
public final class GenerationResult {
    private final List<int[]> generated;
    private final List<float[]> logProbs;
    private final Map<HookPoint, List<float[][]>> captured;
    private final List<float[][]> stepLogits;
    private final double prefillSeconds;
    private final double decodeSeconds;
    private final int decodeSteps;
    private final long tokensForwarded;
    private final GenerationConfig.DecodeEngine decodeEngine;

    GenerationResult(List<int[]> generated, List<float[]> logProbs, Map<HookPoint, List<float[][]>> captured,
                     List<float[][]> stepLogits, double prefillSeconds, double decodeSeconds, int decodeSteps,
                     long tokensForwarded, GenerationConfig.DecodeEngine decodeEngine) {
        this.tokensForwarded = tokensForwarded;
        this.decodeEngine = decodeEngine;
        this.prefillSeconds = prefillSeconds;
        this.decodeSeconds = decodeSeconds;
        this.decodeSteps = decodeSteps;
        this.generated = Collections.unmodifiableList(generated);
        this.logProbs = Collections.unmodifiableList(logProbs);
        this.captured = Collections.unmodifiableMap(captured);
        this.stepLogits = stepLogits == null ? null : Collections.unmodifiableList(stepLogits);
    }

    /** What computed the decode steps: JAVA ({@link CpuDecoder}) or LIBTORCH. */
    public GenerationConfig.DecodeEngine decodeEngine() {
        return decodeEngine;
    }

    public List<int[]> generated() {
        return generated;
    }

    public int[] generated(int row) {
        return generated.get(row).clone();
    }

    /** log_softmax(step logits)[token] for each generated token of the row. */
    public float[] logProbs(int row) {
        return logProbs.get(row).clone();
    }

    /**
     * Prompt-forward activations of a capture intervention, per row: {@code [positions][hidden]} over the row's own
     * tokens (no padding) for {@code Positions.all()}, else over the selected positions in selector order.
     */
    public List<float[][]> captured(HookPoint hook) {
        List<float[][]> c = captured.get(hook);
        if (c == null) throw new IllegalArgumentException("nothing was captured at " + hook + " (add Intervention.capture)");
        return c;
    }

    public Map<HookPoint, List<float[][]>> captures() {
        return captured;
    }

    /** Wall time of the prompt forward (it also yields the first new token). */
    public double prefillSeconds() {
        return prefillSeconds;
    }

    /** Wall time of the decode steps, token choice included. */
    public double decodeSeconds() {
        return decodeSeconds;
    }

    /** Number of decode forwards (one per new token after the first, until every row stopped). */
    public int decodeSteps() {
        return decodeSteps;
    }

    /**
     * Token columns forwarded through the whole model, summed over rows: the compute measure for comparing generation
     * strategies. A finished row is fed the pad id, and counts, while libtorch decodes or an edit acts on decode
     * steps; the Java decode step otherwise drops it.
     */
    public long tokensForwarded() {
        return tokensForwarded;
    }

    /** {@code [step][vocab]} logits of the row (needs {@link GenerationConfig#withStepLogits}). */
    public float[][] stepLogits(int row) {
        if (stepLogits == null) throw new IllegalStateException("step logits were not kept (GenerationConfig.withStepLogits)");
        return stepLogits.get(row);
    }
}
