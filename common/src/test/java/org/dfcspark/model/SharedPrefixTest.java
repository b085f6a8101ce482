package org.dfcspark.model;

import static org.dfcspark.model.TinyFixture.*;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generation from a shared prompt prefix, rewrites computed from the residual, and the lockstep residual reader,
 * on the qwen2-tiny model.
 */
class SharedPrefixTest {
    static Qwen2Model model;
    static int[] prompt;
    static final HookPoint HOOK = HookPoint.residPost(1);

    @BeforeAll
    static void load() throws IOException {
        model = Qwen2Model.load(f32Dir(), Device.cpu());
        prompt = ints("seq1.input_ids");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void sharedPrefixEqualsFullPromptForwardsRowByRow() throws IOException {
        GenerationConfig cfg = GenerationConfig.forModel(f32Dir(), 12).withStepLogits(true);
        float[] dir = gaussian(64, 3);
        // Row 0 clean, row 1 steered at the last prompt token, row 2 steered on every generated token.
        ResidualRewrite steer = (site, h) -> {
            float[][] out = h.clone();
            for (int i = 0; i < h.length; i++) {
                if (site.rows()[i] == 0 || (site.rows()[i] == 1) != site.promptStep()) continue;
                out[i] = h[i].clone();
                for (int j = 0; j < 64; j++) out[i][j] += 20f * dir[j];
            }
            return out;
        };
        List<Intervention> ivs = List.of(new Intervention.Rewrite(HOOK, Positions.lastPrompt(), Phase.PREFILL, steer),
                new Intervention.Rewrite(HOOK, Positions.generated(), Phase.EVERY_STEP, steer));
        GenerationResult shared = Generator.generateFromSharedPrefix(model, prompt, 3, cfg, ivs);
        GenerationResult full = Generator.generate(model, Collections.nCopies(3, prompt), cfg, ivs);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(full.generated(r), shared.generated(r), "row " + r);
            for (int k = 0; k < full.stepLogits(r).length; k++) assertClose(full.stepLogits(r)[k], shared.stepLogits(r)[k], "row " + r + " step " + k);
        }
        assertTrue(Math.abs(shared.stepLogits(0)[0][0] - shared.stepLogits(1)[0][0]) > 1e-3, "the last-token steering changed the first logits");
        assertEquals(shared.stepLogits(0)[0][0], shared.stepLogits(2)[0][0], 1e-5, "the every-step steering starts after the prompt");
        assertTrue(Math.abs(shared.stepLogits(0)[1][0] - shared.stepLogits(2)[1][0]) > 1e-3, "and then changes the logits");
        int t = prompt.length;
        assertEquals(3L * t + 3L * full.decodeSteps(), full.tokensForwarded());
        assertEquals((t - 1) + 3L + 3L * shared.decodeSteps(), shared.tokensForwarded());
    }

    /**
     * Prompts of different lengths decoded as one left-padded batch: each row's tokens and logits are those of one call
     * per prompt, exactly with the Java decode step (a row's arithmetic does not depend on the other rows) and within
     * float tolerance with libtorch's; an edit of the decode steps is refused when prompts share a batch.
     */
    @Test
    void promptsDecodedTogetherEqualOneCallPerPrompt() throws IOException {
        float[] dir = gaussian(64, 4);
        ResidualRewrite steerRowOne = (site, h) -> {
            float[][] out = h.clone();
            for (int i = 0; i < h.length; i++) {
                if (site.rows()[i] != 1) continue;
                out[i] = h[i].clone();
                for (int j = 0; j < 64; j++) out[i][j] += 20f * dir[j];
            }
            return out;
        };
        List<Intervention> ivs = List.of(new Intervention.Rewrite(HOOK, Positions.lastPrompt(), Phase.PREFILL, steerRowOne));
        List<int[]> prompts = List.of(prompt, java.util.Arrays.copyOf(prompt, 3), new int[] {5, 300, 17, 42, 9, 11, 260, 8, 77, 31, 2});
        for (GenerationConfig.DecodeEngine engine : List.of(GenerationConfig.DecodeEngine.JAVA, GenerationConfig.DecodeEngine.LIBTORCH)) {
            GenerationConfig cfg = GenerationConfig.forModel(f32Dir(), 12).withStepLogits(true).withEngine(engine);
            List<Generator.SharedPrefix> together = new ArrayList<>();
            for (int[] p : prompts) together.add(new Generator.SharedPrefix(p, 2, ivs));
            GenerationResult joint = Generator.generateFromSharedPrefixes(model, together, cfg, null);
            for (int p = 0; p < prompts.size(); p++) {
                GenerationResult one = Generator.generateFromSharedPrefix(model, prompts.get(p), 2, cfg, ivs);
                for (int r = 0; r < 2; r++) {
                    String where = engine + ", prompt " + p + " row " + r;
                    assertArrayEquals(one.generated(r), joint.generated(2 * p + r), where);
                    for (int k = 0; k < one.stepLogits(r).length; k++) {
                        if (engine == GenerationConfig.DecodeEngine.JAVA) assertArrayEquals(one.stepLogits(r)[k], joint.stepLogits(2 * p + r)[k], 0f, where);
                        else assertClose(one.stepLogits(r)[k], joint.stepLogits(2 * p + r)[k], where + " step " + k);
                    }
                }
                assertTrue(Math.abs(joint.stepLogits(2 * p)[0][0] - joint.stepLogits(2 * p + 1)[0][0]) > 1e-3, "row 1 of each prompt is steered");
            }
        }
        Intervention everyStep = new Intervention.Rewrite(HOOK, Positions.generated(), Phase.EVERY_STEP, steerRowOne);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generator.generateFromSharedPrefixes(model,
                List.of(new Generator.SharedPrefix(prompt, 2, List.of(everyStep)), new Generator.SharedPrefix(prompts.get(1), 2, List.of(everyStep))),
                GenerationConfig.forModel(f32Dir(), 4), null));
        assertTrue(e.getMessage().contains("prompt forward only"), e.getMessage());
    }

    @Test
    void rewriteSeesTheResidualWithItsPositionsAndTokens() {
        List<int[]> prompts = List.of(prompt, new int[] {7, 8, 9});
        List<int[]> seen = new ArrayList<>();
        ResidualRewrite identity = (site, h) -> {
            for (int i = 0; i < h.length; i++) seen.add(new int[] {site.rows()[i], site.positions()[i], site.tokens()[i]});
            return h;
        };
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray clean = model.forward(scope, TokenBatch.leftPadded(prompts, 0), List.of(Intervention.capture(HOOK, Positions.all())),
                    Qwen2Model.Logits.NONE).captured(HOOK);
            NDArray same = model.forward(scope, TokenBatch.leftPadded(prompts, 0), List.of(
                    new Intervention.Rewrite(HOOK, Positions.all(), Phase.PREFILL, identity), Intervention.capture(HOOK, Positions.all())),
                    Qwen2Model.Logits.NONE).captured(HOOK);
            assertArrayEquals(clean.toFloatArray(), same.toFloatArray(), 0f, "an identity rewrite changes nothing");
        }
        assertEquals(prompt.length + 3, seen.size());
        for (int[] s : seen) assertEquals(prompts.get(s[0])[s[1]], s[2], "token at row " + s[0] + " position " + s[1]);
    }

    @Test
    void sharedPrefixRefusesEditsBeforeTheLastToken() throws IOException {
        GenerationConfig cfg = GenerationConfig.forModel(f32Dir(), 4);
        Intervention early = Intervention.add(HOOK, new float[64], 1, Positions.all(), Phase.PREFILL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Generator.generateFromSharedPrefix(model, prompt, 2, cfg, List.of(early)));
        assertTrue(e.getMessage().contains("shared prefix"), e.getMessage());
    }

    @Test
    void lockstepReaderEqualsAFullForwardOverTheFedTokens() {
        int[] shortPrompt = {7, 8, 9};
        int[][] fed = {{40, 41}, {300, 2}, {17, 5}};
        try (ResidualReader reader = new ResidualReader(model, HOOK, List.of(prompt, shortPrompt), 0, 3);
             NDManager scope = NDManager.newBaseManager()) {
            List<float[][]> steps = new ArrayList<>();
            for (int[] tokens : fed) steps.add(reader.feed(tokens));
            assertThrows(IllegalStateException.class, () -> reader.feed(new int[] {1, 1}), "sized for 3 tokens");
            List<int[]> rows = List.of(prompt, shortPrompt);
            for (int b = 0; b < 2; b++) {
                int[] seq = java.util.Arrays.copyOf(rows.get(b), rows.get(b).length + fed.length);
                for (int k = 0; k < fed.length; k++) seq[rows.get(b).length + k] = fed[k][b];
                NDArray h = model.forward(scope, TokenBatch.leftPadded(List.of(seq), 0),
                        List.of(Intervention.capture(HOOK, Positions.all())), Qwen2Model.Logits.NONE).captured(HOOK);
                for (int p = 0; p < rows.get(b).length; p++) {
                    assertClose(h.get(0, p).toFloatArray(), reader.promptResiduals().get(b)[p], "row " + b + " prompt position " + p);
                }
                for (int k = 0; k < fed.length; k++) {
                    assertClose(h.get(0, rows.get(b).length + k).toFloatArray(), steps.get(k)[b], "row " + b + " fed token " + k);
                }
            }
        }
    }
}
