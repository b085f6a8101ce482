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

    GenerationResult(List<int[]> generated, List<float[]> logProbs, Map<HookPoint, List<float[][]>> captured,
                     List<float[][]> stepLogits) {
        this.generated = Collections.unmodifiableList(generated);
        this.logProbs = Collections.unmodifiableList(logProbs);
        this.captured = Collections.unmodifiableMap(captured);
        this.stepLogits = stepLogits == null ? null : Collections.unmodifiableList(stepLogits);
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

    /** {@code [step][vocab]} logits of the row (needs {@link GenerationConfig#withStepLogits}). */
    public float[][] stepLogits(int row) {
        if (stepLogits == null) throw new IllegalStateException("step logits were not kept (GenerationConfig.withStepLogits)");
        return stepLogits.get(row);
    }
}
