package org.dfcspark.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Phase;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

/**
 * The paper's interventions with a crosscoder (SCIENCE.md §4), all at the last prompt token in the prefill pass:
 * steering (add a multiple of one feature's decoder direction) and patching (replace the residual by the
 * crosscoder's reconstruction). Everything is in the model's raw units: the crosscoder works on normalised
 * activations, and its decode is {@code x̂_m = μ_m + (b_dec,m + Σ_i f_i·W_dec[i,m]) / s_m}, so one unit of
 * feature i moves model m's residual by {@code W_dec[i,m] / s_m}.
 */
public final class Steering {
    private Steering() {}

    /** {@code W_dec[feature, model] / s_model} per channel: what one unit of the feature adds to the raw residual. */
    public static float[] featureDirection(Crosscoder cc, int feature, int model) {
        if (feature < 0 || feature >= cc.dictSize()) throw new IllegalArgumentException("feature " + feature + " is outside 0.." + (cc.dictSize() - 1));
        if (model != 0 && model != 1) throw new IllegalArgumentException("model must be 0 (A) or 1 (B), got " + model);
        int d = cc.activationDim();
        float[] dir = cc.decoderVector(feature, model);
        Normalization norm = cc.config().normalization();
        if (norm != null) {
            float[] scale = norm.scale();
            for (int i = 0; i < d; i++) dir[i] /= scale[model * d + i];
        }
        return dir;
    }

    /** {@code h[last prompt token] += coefficient · direction}, prompt forward only. */
    public static Intervention addAtLastPrompt(HookPoint hook, float[] direction, double coefficient) {
        return Intervention.add(hook, direction, coefficient, Positions.lastPrompt(), Phase.PREFILL);
    }

    /** {@code h[row, last prompt token] = rows[row]}, prompt forward only. */
    public static Intervention replaceAtLastPrompt(HookPoint hook, float[][] rows) {
        return Intervention.replace(hook, rows, Positions.lastPrompt(), Phase.PREFILL);
    }

    /**
     * The residual at {@code hook} at each prompt's last token (one row per prompt, in the prompts' order), in batches of
     * prompts of similar length: a batch is left-padded to its longest prompt, so batching the prompts as they come
     * computed half again as many positions on the organism's tool prompts (3376 real, 4976 padded).
     */
    public static float[][] lastPromptResiduals(Qwen2Model model, List<int[]> prompts, HookPoint hook, int padId, int batch) {
        float[][] out = new float[prompts.size()][];
        Integer[] byLength = new Integer[prompts.size()];
        for (int i = 0; i < byLength.length; i++) byLength[i] = i;
        java.util.Arrays.sort(byLength, java.util.Comparator.comparingInt(i -> prompts.get(i).length)); // stable
        NDManager root = model.parameters().values().iterator().next().getManager();
        for (int from = 0; from < prompts.size(); from += batch) {
            int to = Math.min(prompts.size(), from + batch);
            List<int[]> part = new java.util.ArrayList<>(to - from);
            for (int i = from; i < to; i++) part.add(prompts.get(byLength[i]));
            try (NDManager scope = root.newSubManager()) {
                NDArray h = model.forward(scope, TokenBatch.leftPadded(part, padId),
                        List.of(Intervention.capture(hook, Positions.lastPrompt())), Qwen2Model.Logits.NONE).captured(hook);
                for (int b = 0; b < part.size(); b++) out[byLength[from + b]] = h.get(b, 0).toFloatArray();
            }
        }
        return out;
    }

    /**
     * The crosscoder's raw reconstruction of model {@code model}'s rows, encoding each pair {@code (a[r], b[r])}
     * jointly (the crosscoder reads both models); the reconstruction error is not kept.
     */
    public static float[][] reconstruct(Crosscoder cc, float[][] a, float[][] b, int model, int threads) {
        if (a.length != b.length) throw new IllegalArgumentException("need as many A rows as B rows, got " + a.length + " and " + b.length);
        if (model != 0 && model != 1) throw new IllegalArgumentException("model must be 0 (A) or 1 (B), got " + model);
        int d = cc.activationDim(), n = a.length;
        float[] pairs = new float[n * 2 * d];
        for (int r = 0; r < n; r++) {
            if (a[r].length != d || b[r].length != d) throw new IllegalArgumentException("row " + r + " is not " + d + "-dimensional");
            System.arraycopy(a[r], 0, pairs, r * 2 * d, d);
            System.arraycopy(b[r], 0, pairs, r * 2 * d + d, d);
        }
        float[] rec = n == 0 ? new float[0] : new BatchStep(cc, threads).encode(pairs, n).reconstruction();
        float[][] out = new float[n][d];
        for (int r = 0; r < n; r++) System.arraycopy(rec, r * 2 * d + model * d, out[r], 0, d);
        return out;
    }
}
