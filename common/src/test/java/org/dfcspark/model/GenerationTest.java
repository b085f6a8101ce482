package org.dfcspark.model;

import static org.dfcspark.model.TinyFixture.*;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation (KV cache, left padding, interventions, sampling) against HF generate on the qwen2-tiny oracle. */
class GenerationTest {
    static Qwen2Model model;
    static final int V = 512;
    static List<int[]> prompts;

    @BeforeAll
    static void load() throws IOException {
        model = Qwen2Model.load(f32Dir(), Device.cpu());
        prompts = List.of(ints("seq1.input_ids"), ints("seq2.input_ids"), ints("seq3.input_ids"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static GenerationConfig greedy(int n) throws IOException {
        return GenerationConfig.forModel(f32Dir(), n);
    }

    @Test
    void batchedLeftPaddedGreedyEqualsHfGenerate() throws IOException {
        GenerationConfig cfg = greedy(12).withStepLogits(true);
        assertEquals(List.of(511), cfg.eosTokenIds());
        assertEquals(511, cfg.padTokenId());
        GenerationResult r = Generator.generate(model, prompts, cfg, List.of());
        int[] expected = ints("batch.new_tokens");
        float[] stepLogits = floats("batch.step_logits");
        for (int b = 0; b < 3; b++) {
            assertArrayEquals(Arrays.copyOfRange(expected, b * 12, b * 12 + 12), r.generated(b), "row " + b);
            float[][] got = r.stepLogits(b);
            for (int k = 0; k < 12; k++) {
                assertClose(part(stepLogits, b * 12 + k, V), got[k], "row " + b + " step " + k + " logits");
            }
        }
    }

    @Test
    void unbatchedGreedyEqualsHfGenerate() throws IOException {
        for (int s = 1; s <= 3; s++) {
            GenerationResult r = Generator.generate(model, List.of(prompts.get(s - 1)), greedy(12).withStepLogits(true), null);
            assertArrayEquals(ints("f32.seq" + s + ".greedy12"), r.generated(0), "seq" + s);
            float[] ref = floats("f32.seq" + s + ".greedy12_step_logits");
            for (int k = 0; k < 12; k++) assertClose(part(ref, k, V), r.stepLogits(0)[k], "seq" + s + " step " + k);
            // log-probs are log_softmax of the same step logits
            for (int k = 0; k < 12; k++) {
                float[] row = part(ref, k, V);
                assertEquals(logProb(row, r.generated(0)[k]), r.logProbs(0)[k], 1e-4);
            }
        }
    }

    /** log_softmax(logits)[token], in double. */
    static double logProb(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        return logits[token] - max - Math.log(sum);
    }

    @Test
    void addEveryStepMatchesHfHookedGenerate() throws IOException {
        Intervention add = Intervention.add(HookPoint.residPost(ints("add.layer")[0]), floats("add.v"), 1.0,
                Positions.all(), Phase.EVERY_STEP);
        GenerationResult r = Generator.generate(model, List.of(prompts.get(0)), greedy(10), List.of(add));
        assertArrayEquals(ints("add.greedy10"), r.generated(0));
        assertFalse(Arrays.equals(Arrays.copyOf(ints("f32.seq1.greedy12"), 10), r.generated(0)), "the edit changes the text");
    }

    @Test
    void replaceLastPromptInPrefillMatchesHfHookedGenerate() throws IOException {
        Intervention rep = Intervention.replace(HookPoint.residPost(ints("replace.layer")[0]),
                new float[][] {floats("replace.r")}, Positions.lastPrompt(), Phase.PREFILL);
        GenerationResult r = Generator.generate(model, List.of(prompts.get(0)), greedy(10).withStepLogits(true), List.of(rep));
        assertArrayEquals(ints("replace.greedy10"), r.generated(0));
        float[] ref = floats("replace.greedy10_step_logits");
        for (int k = 0; k < 10; k++) assertClose(part(ref, k, V), r.stepLogits(0)[k], "replace step " + k);
    }

    @Test
    void interventionsInABatchActPerRowAsAlone() throws IOException {
        // the ADD edit on a left-padded batch gives each row what it gives alone (seq1's row = HF's add.greedy10)
        Intervention add = Intervention.add(HookPoint.residPost(1), floats("add.v"), 1.0, Positions.all(), Phase.EVERY_STEP);
        GenerationResult batched = Generator.generate(model, prompts, greedy(10), List.of(add));
        assertArrayEquals(ints("add.greedy10"), batched.generated(0));
        for (int b = 1; b < 3; b++) {
            GenerationResult alone = Generator.generate(model, List.of(prompts.get(b)), greedy(10), List.of(add));
            assertArrayEquals(alone.generated(0), batched.generated(b), "row " + b);
        }
    }

    @Test
    void stopsAtEosAndKeepsIt() throws IOException {
        int[] base = ints("batch.new_tokens");
        int eos = base[2]; // row 0's third token
        GenerationConfig cfg = GenerationConfig.greedy(12, List.of(eos), 511);
        GenerationResult r = Generator.generate(model, prompts, cfg, List.of());
        for (int b = 0; b < 3; b++) {
            int[] full = Arrays.copyOfRange(base, b * 12, b * 12 + 12);
            int stop = 0;
            while (stop < 12 && full[stop] != eos) stop++;
            int[] expected = Arrays.copyOf(full, Math.min(12, stop + 1));
            assertArrayEquals(expected, r.generated(b), "row " + b);
        }
        assertEquals(3, r.generated(0).length);
    }

    @Test
    void seededSamplingIsReproducibleAndTinyTopPIsGreedy() throws IOException {
        GenerationConfig s = greedy(12).withSampling(1.0, 0.9, 42);
        GenerationResult a = Generator.generate(model, prompts, s, List.of());
        GenerationResult b = Generator.generate(model, prompts, s, List.of());
        for (int r = 0; r < 3; r++) assertArrayEquals(a.generated(r), b.generated(r));
        GenerationResult c = Generator.generate(model, prompts, greedy(12).withSampling(1.0, 0.9, 43), List.of());
        boolean differs = false;
        for (int r = 0; r < 3; r++) differs |= !Arrays.equals(a.generated(r), c.generated(r));
        assertTrue(differs, "another seed gives other samples");
        // a nucleus of (almost) zero mass holds only the most probable token: sampling = greedy
        GenerationResult g = Generator.generate(model, prompts, greedy(12).withSampling(1.0, 1e-9, 7), List.of());
        int[] expected = ints("batch.new_tokens");
        for (int r = 0; r < 3; r++) assertArrayEquals(Arrays.copyOfRange(expected, r * 12, r * 12 + 12), g.generated(r));
    }

    @Test
    void nucleusIsHfTopPSet() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rng.nextInt(300);
            double[] p = new double[n];
            double z = 0;
            for (int i = 0; i < n; i++) z += p[i] = Math.exp(rng.nextGaussian() * 3);
            for (int i = 0; i < n; i++) p[i] /= z;
            double topP = rng.nextDouble();
            // brute force: sort all descending, keep while the mass before a token is < topP
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            List<Integer> keep = new ArrayList<>();
            double before = 0;
            for (Integer i : order) {
                if (before >= topP) break;
                keep.add(i);
                before += p[i];
            }
            assertArrayEquals(keep.stream().mapToInt(Integer::intValue).toArray(), Sampler.nucleus(p, topP), "trial " + trial);
        }
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] logits = {0f, (float) Math.log(3), -100f}; // p = 0.25, 0.75, ~0
        SplittableRandom rng = new SplittableRandom(5);
        int ones = 0, n = 20000;
        for (int i = 0; i < n; i++) ones += Sampler.sample(logits, 0, 3, 1.0, 1.0, rng) == 1 ? 1 : 0;
        assertEquals(0.75, ones / (double) n, 0.015);
        // top-p 0.5 keeps only the 0.75 token
        for (int i = 0; i < 100; i++) assertEquals(1, Sampler.sample(logits, 0, 3, 1.0, 0.5, rng));
    }

    @Test
    void generationCapturesThePromptForward() throws IOException {
        HookPoint hp = HookPoint.residPost(1);
        GenerationResult r = Generator.generate(model, prompts, greedy(2),
                List.of(Intervention.capture(hp, Positions.all())));
        float[] ref3 = floats("f32.seq3.hidden_states"), ref1 = floats("f32.seq1.hidden_states");
        List<float[][]> c = r.captured(hp);
        assertEquals(7, c.get(0).length, "padding dropped");
        assertEquals(20, c.get(2).length);
        assertClose(part(part(ref1, 2, 7 * 64), 3, 64), c.get(0)[3], "seq1 position 3");
        assertClose(part(part(ref3, 2, 20 * 64), 19, 64), c.get(2)[19], "seq3 position 19");
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(model, prompts, greedy(2),
                List.of(Intervention.capture(hp, Positions.generated()))));
    }
}
