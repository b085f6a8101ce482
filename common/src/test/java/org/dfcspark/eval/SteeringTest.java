package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SplittableRandom;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Steering and patching with a crosscoder, on the bundled qwen2-tiny model (d = 64). */
class SteeringTest {
    static final int D_MODEL = 64;
    static Qwen2Model model;
    static final HookPoint HOOK = HookPoint.residPost(1);
    static final List<int[]> PROMPTS = List.of(new int[] {5, 17, 300, 42, 9}, new int[] {7, 8, 9});

    @BeforeAll
    static void load() throws Exception {
        model = Qwen2Model.load(ProjectPaths.data("models/qwen2-tiny"), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A tied DFC with random weights and non-trivial shared normalisation (centre and scale per channel). */
    static Crosscoder crosscoder(int d, int dict, int k, long seed) {
        float[] mean = gaussian(2 * d, seed + 1), scale = new float[2 * d];
        SplittableRandom r = new SplittableRandom(seed + 2);
        for (int i = 0; i < 2 * d; i++) scale[i] = (float) (0.5 + r.nextDouble());
        CrosscoderConfig cfg = CrosscoderConfig.paper(d, dict, k, dict / 8, dict / 8).withCoupling(Coupling.TIED)
                .withNormalization(new Normalization(Normalization.Scheme.ZSCORE, false, d, mean, scale));
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, seed);
        return cc;
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void featureDirectionIsWhatOneUnitOfTheFeatureAddsToTheRawDecode() {
        Crosscoder cc = crosscoder(D_MODEL, 32, 4, 7);
        int d = D_MODEL;
        Normalization norm = cc.config().normalization();
        for (int model = 0; model < 2; model++) {
            int feature = model == 0 ? 1 : 30; // A-exclusive for A, shared for B
            float[] without = cc.bDec(), with = cc.bDec();
            float[] dec = cc.decoderVector(feature, model);
            for (int i = 0; i < d; i++) with[model * d + i] += 2.5f * dec[i];
            norm.denormalize(without, 1);
            norm.denormalize(with, 1);
            float[] dir = Steering.featureDirection(cc, feature, model);
            for (int i = 0; i < d; i++) assertEquals(with[model * d + i] - without[model * d + i], 2.5f * dir[i], 1e-4, "channel " + i);
        }
        // an A-exclusive feature has no B direction
        for (float v : Steering.featureDirection(cc, 1, 1)) assertEquals(0f, v);
        assertThrows(IllegalArgumentException.class, () -> Steering.featureDirection(cc, 32, 0));
    }

    @Test
    void reconstructionIsTheCrosscodersDecodeOfTheJointEncoding() {
        Crosscoder cc = crosscoder(D_MODEL, 32, 4, 8);
        float[][] a = {gaussian(D_MODEL, 1), gaussian(D_MODEL, 2)}, b = {gaussian(D_MODEL, 3), gaussian(D_MODEL, 4)};
        float[] pairs = new float[2 * 2 * D_MODEL];
        for (int r = 0; r < 2; r++) {
            System.arraycopy(a[r], 0, pairs, r * 2 * D_MODEL, D_MODEL);
            System.arraycopy(b[r], 0, pairs, r * 2 * D_MODEL + D_MODEL, D_MODEL);
        }
        float[] rec = new BatchStep(cc, 1).encode(pairs, 2).reconstruction();
        for (int model = 0; model < 2; model++) {
            float[][] got = Steering.reconstruct(cc, a, b, model, 1);
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < D_MODEL; i++) assertEquals(rec[r * 2 * D_MODEL + model * D_MODEL + i], got[r][i], 0f);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Steering.reconstruct(cc, a, new float[][] {b[0]}, 1, 1));
    }

    /** Batched by length, the residuals come back in the prompts' order, each its own prompt's (as one at a time). */
    @Test
    void residualsBatchedByLengthComeBackInThePromptsOrder() {
        List<int[]> prompts = List.of(new int[] {5, 17, 300, 42, 9, 11, 12}, new int[] {7, 8}, new int[] {1, 2, 3, 4, 5}, new int[] {9},
                new int[] {4, 4, 4, 4, 4, 4}, new int[] {2, 3, 5});
        float[][] alone = Steering.lastPromptResiduals(model, prompts, HOOK, 0, 1);
        float[][] batched = Steering.lastPromptResiduals(model, prompts, HOOK, 0, 4);
        for (int r = 0; r < prompts.size(); r++) assertArrayEquals(alone[r], batched[r], 1e-5f, "prompt " + r);
        assertThrows(AssertionError.class, () -> assertArrayEquals(alone[0], batched[1], 1e-5f), "different prompts differ");
    }

    @Test
    void interventionsEditOnlyTheLastPromptToken() {
        float[][] clean = Steering.lastPromptResiduals(model, PROMPTS, HOOK, 0, 1);
        float[] dir = gaussian(D_MODEL, 11);
        float[][] patch = {gaussian(D_MODEL, 12), gaussian(D_MODEL, 13)};
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray base = capture(scope, List.of());
            NDArray steered = capture(scope, List.of(Steering.addAtLastPrompt(HOOK, dir, 3.0)));
            NDArray patched = capture(scope, List.of(Steering.replaceAtLastPrompt(HOOK, patch)));
            int width = (int) base.getShape().get(1);
            for (int row = 0; row < 2; row++) {
                int last = width - 1; // left padding: every row's last prompt token is the last column
                float[] b = base.get(row, last).toFloatArray(), s = steered.get(row, last).toFloatArray(), p = patched.get(row, last).toFloatArray();
                for (int i = 0; i < D_MODEL; i++) {
                    assertEquals(clean[row][i], b[i], 1e-5, "lastPromptResiduals = the clean residual");
                    assertEquals(b[i] + 3.0f * dir[i], s[i], 1e-4);
                    assertEquals(patch[row][i], p[i], 0f);
                }
                int first = width - PROMPTS.get(row).length;
                assertArrayEquals(base.get(row, first).toFloatArray(), steered.get(row, first).toFloatArray(), 0f, "earlier tokens untouched");
                assertArrayEquals(base.get(row, first).toFloatArray(), patched.get(row, first).toFloatArray(), 0f);
            }
        }
    }

    /** The residual at HOOK for every position of both prompts after the given edits. */
    private static NDArray capture(NDManager scope, List<Intervention> edits) {
        List<Intervention> all = new java.util.ArrayList<>(edits);
        all.add(Intervention.capture(HOOK, Positions.all()));
        return model.forward(scope, TokenBatch.leftPadded(PROMPTS, 0), all, Qwen2Model.Logits.NONE).captured(HOOK);
    }
}
