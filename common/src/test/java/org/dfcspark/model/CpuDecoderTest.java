package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dfcspark.model.GenerationConfig.DecodeEngine;
import org.junit.jupiter.api.Test;

/**
 * The Java decode step ({@link CpuDecoder}, {@link PackedLinear}) against libtorch: the packed product against
 * libtorch's {@code linear} on odd shapes, and whole generations (left padding, every kind of edit, sampling,
 * products split over threads) against the libtorch decode loop token for token. HF parity of the Java path itself is
 * {@link GenerationTest} (which runs it by default).
 */
class CpuDecoderTest {
    @Test
    void packedProductEqualsLibtorchLinearOnOddShapes() {
        SplittableRandom rng = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {3, 63, 7}, {13, 65, 129}, {64, 130, 33}, {2, 727, 128}, {5, 64, 64}};
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (int[] s : shapes) {
                int rows = s[0], out = s[1], in = s[2];
                float[] x = gaussian(rng, rows * in), w = gaussian(rng, out * in), b = gaussian(rng, out);
                float[] ref = Linear.linear(m.create(x, new Shape(rows, in)), m.create(w, new Shape(out, in)),
                        m.create(b)).singletonOrThrow().toFloatArray();
                float[] y = new float[rows * out];
                new PackedLinear(w, b, out, in).apply(x, rows, y);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(ref[i], y[i], 1e-5 * (1 + Math.abs(ref[i])) * Math.sqrt(in), "shape " + rows + "x" + out + "x" + in + " at " + i);
                }
            }
        }
    }

    @Test
    void packedProductRefusesAWeightOfTheWrongSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PackedLinear(new float[10], null, 3, 4));
        assertTrue(e.getMessage().contains("expected 3 x 4"), e.getMessage());
    }

    @Test
    void javaDecodeEqualsLibtorchDecodeWithEveryKindOfEdit() {
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(48).numHiddenLayers(3).numAttentionHeads(6).numKeyValueHeads(2)
                .headDim(8).intermediateSize(100).vocabSize(211).tieWordEmbeddings(false).eosTokenId(5).build();
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), DataType.FLOAT32, 11, 0.2)) {
            SplittableRandom rng = new SplittableRandom(3);
            List<int[]> prompts = new ArrayList<>();
            for (int len : new int[] {9, 4, 13, 1}) prompts.add(rng.ints(len, 6, cfg.vocabSize()).toArray());
            float[] v = gaussian(rng, cfg.hiddenSize());
            List<Intervention> edits = List.of(
                    Intervention.add(HookPoint.residPost(0), v, 0.5, Positions.all(), Phase.EVERY_STEP),
                    Intervention.replace(HookPoint.residPre(2), new float[][] {v}, Positions.generated(), Phase.EVERY_STEP),
                    new Intervention.Rewrite(HookPoint.residPost(1), Positions.all(), Phase.EVERY_STEP, (site, xs) -> {
                        float[][] out = new float[xs.length][];
                        for (int i = 0; i < xs.length; i++) {
                            out[i] = xs[i].clone();
                            out[i][site.positions()[i] % out[i].length] += 1f; // depends on the site: positions must agree
                        }
                        return out;
                    }));
            GenerationConfig greedy = GenerationConfig.greedy(12, List.of(5), 0).withStepLogits(true);
            for (List<Intervention> ivs : List.of(List.<Intervention>of(), edits)) {
                GenerationResult torch = Generator.generate(model, prompts, greedy.withEngine(DecodeEngine.LIBTORCH), ivs);
                GenerationResult java = Generator.generate(model, prompts, greedy.withEngine(DecodeEngine.JAVA), ivs);
                assertEquals(DecodeEngine.LIBTORCH, torch.decodeEngine());
                assertEquals(DecodeEngine.JAVA, java.decodeEngine());
                assertEquals(DecodeEngine.JAVA, Generator.generate(model, prompts, greedy, ivs).decodeEngine(), "AUTO picks Java on a CPU f32 model");
                for (int b = 0; b < prompts.size(); b++) {
                    assertArrayEquals(torch.generated(b), java.generated(b), "row " + b + " with " + ivs.size() + " edits");
                    for (int k = 0; k < torch.stepLogits(b).length; k++) {
                        assertArrayEquals(torch.stepLogits(b)[k], java.stepLogits(b)[k], 1e-4f, "row " + b + " step " + k);
                    }
                    assertArrayEquals(torch.logProbs(b), java.logProbs(b), 1e-4f);
                }
            }
            // seeded sampling draws the same tokens
            GenerationConfig sampling = greedy.withSampling(0.9, 0.95, 42);
            GenerationResult torch = Generator.generate(model, prompts, sampling.withEngine(DecodeEngine.LIBTORCH), edits);
            GenerationResult java = Generator.generate(model, prompts, sampling.withEngine(DecodeEngine.JAVA), edits);
            for (int b = 0; b < prompts.size(); b++) assertArrayEquals(torch.generated(b), java.generated(b), "sampled row " + b);
        }
    }

    /**
     * Rows that reach EOS early leave the Java step (their keys and values dropped, the others' moved down): the other
     * rows' tokens and logits stay those of libtorch's loop, which feeds finished rows the pad id to the end, and the
     * Java path forwards Σ (n_b − 1) decode tokens instead of rows × steps.
     */
    @Test
    void finishedRowsLeaveTheJavaStepWithoutChangingTheOthers() {
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(48).numHiddenLayers(3).numAttentionHeads(6).numKeyValueHeads(2)
                .headDim(8).intermediateSize(100).vocabSize(211).tieWordEmbeddings(false).eosTokenId(5).build();
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), DataType.FLOAT32, 11, 0.2)) {
            SplittableRandom rng = new SplittableRandom(8);
            List<int[]> prompts = new ArrayList<>();
            for (int len : new int[] {9, 4, 13, 6, 2}) prompts.add(rng.ints(len, 6, cfg.vocabSize()).toArray());
            GenerationResult free = Generator.generate(model, prompts, GenerationConfig.greedy(12, List.of(5), 0), List.of());
            int eos = free.generated(1)[2]; // row 1 stops at its third token; the others where they meet that token
            GenerationConfig greedy = GenerationConfig.greedy(12, List.of(eos), 0).withStepLogits(true);
            GenerationResult torch = Generator.generate(model, prompts, greedy.withEngine(DecodeEngine.LIBTORCH), List.of());
            GenerationResult java = Generator.generate(model, prompts, greedy.withEngine(DecodeEngine.JAVA), List.of());
            long decoded = 0;
            int shortest = Integer.MAX_VALUE, longest = 0;
            for (int b = 0; b < prompts.size(); b++) {
                assertArrayEquals(torch.generated(b), java.generated(b), "row " + b);
                for (int k = 0; k < torch.stepLogits(b).length; k++) assertArrayEquals(torch.stepLogits(b)[k], java.stepLogits(b)[k], 1e-4f);
                decoded += java.generated(b).length - 1;
                shortest = Math.min(shortest, java.generated(b).length);
                longest = Math.max(longest, java.generated(b).length);
            }
            assertTrue(shortest <= 3 && longest > shortest + 2, "rows finish at different steps: " + shortest + " .. " + longest);
            int width = 13;
            assertEquals((long) prompts.size() * width + decoded, java.tokensForwarded(), "finished rows are not forwarded");
            assertEquals((long) prompts.size() * width + (long) prompts.size() * torch.decodeSteps(), torch.tokensForwarded());
        }
    }

    @Test
    void productsSplitOverTwoThreadsGiveTheSameSteps() {
        // 4 rows x 2048 x 256 = 2^21 multiply-adds in each MLP product: at CpuDecoder's threshold, so those products
        // (and the lm_head's, 4 x 4096 x 256) are split by panels over the two threads. The prompt forward (libtorch)
        // may round differently with 2 threads, so the steps are compared to 1e-4, not bit for bit; a panel computed
        // wrongly or skipped by the split would be far off.
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(256).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                .headDim(64).intermediateSize(2048).vocabSize(4096).eosTokenId(5).build();
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), DataType.FLOAT32, 13, 0.1)) {
            SplittableRandom rng = new SplittableRandom(4);
            List<int[]> prompts = new ArrayList<>();
            for (int len : new int[] {7, 3, 11, 5}) prompts.add(rng.ints(len, 6, cfg.vocabSize()).toArray());
            GenerationConfig greedy = GenerationConfig.greedy(6, List.of(5), 0).withStepLogits(true).withEngine(DecodeEngine.JAVA);
            int before = JniUtils.getNumThreads();
            GenerationResult one, two;
            try {
                JniUtils.setNumThreads(1);
                one = Generator.generate(model, prompts, greedy, List.of());
                JniUtils.setNumThreads(2);
                two = Generator.generate(model, prompts, greedy, List.of());
            } finally {
                JniUtils.setNumThreads(before);
            }
            GenerationResult torch = Generator.generate(model, prompts, greedy.withEngine(DecodeEngine.LIBTORCH), List.of());
            for (int b = 0; b < prompts.size(); b++) {
                assertArrayEquals(one.generated(b), two.generated(b), "row " + b);
                assertArrayEquals(torch.generated(b), two.generated(b), "row " + b + " against libtorch");
                for (int k = 1; k < one.stepLogits(b).length; k++) {
                    assertArrayEquals(one.stepLogits(b)[k], two.stepLogits(b)[k], 1e-4f, "row " + b + " step " + k);
                }
            }
        }
    }

    @Test
    void sharedPrefixGenerationDecodesInJavaToo() {
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(32).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                .headDim(8).intermediateSize(64).vocabSize(97).eosTokenId(1).build();
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), DataType.FLOAT32, 5, 0.3)) {
            int[] prompt = new SplittableRandom(9).ints(17, 2, 97).toArray();
            float[] v = gaussian(new SplittableRandom(1), 32);
            List<Intervention> ivs = List.of(Intervention.add(HookPoint.residPost(0), v, 2.0, Positions.lastPrompt(), Phase.PREFILL));
            GenerationConfig greedy = GenerationConfig.greedy(10, List.of(1), 0);
            GenerationResult torch = Generator.generateFromSharedPrefix(model, prompt, 3, greedy.withEngine(DecodeEngine.LIBTORCH), ivs);
            GenerationResult java = Generator.generateFromSharedPrefix(model, prompt, 3, greedy.withEngine(DecodeEngine.JAVA), ivs);
            assertEquals(DecodeEngine.JAVA, java.decodeEngine());
            for (int b = 0; b < 3; b++) assertArrayEquals(torch.generated(b), java.generated(b), "row " + b);
        }
    }

    @Test
    void javaEngineIsRefusedForAFloat16Model() {
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(16).numHiddenLayers(1).numAttentionHeads(2).numKeyValueHeads(1)
                .headDim(8).intermediateSize(32).vocabSize(50).eosTokenId(1).build();
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), DataType.FLOAT16, 1, 0.02)) {
            GenerationConfig greedy = GenerationConfig.greedy(4, List.of(1), 0);
            assertEquals(DecodeEngine.LIBTORCH, Generator.generate(model, List.of(new int[] {3, 4}), greedy, List.of()).decodeEngine(),
                    "AUTO falls back to libtorch");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Generator.generate(model, List.of(new int[] {3, 4}), greedy.withEngine(DecodeEngine.JAVA), List.of()));
            assertTrue(e.getMessage().contains("float32 model on the CPU"), e.getMessage());
        }
    }

    private static float[] gaussian(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }
}
