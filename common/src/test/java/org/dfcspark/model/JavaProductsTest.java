package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dfcspark.model.Qwen2Model.Logits;
import org.dfcspark.simd.VecOps;
import org.junit.jupiter.api.Test;

/**
 * A forward's large products in Java ({@code Qwen2Model.linear} over {@link PackedLinear}) against the same forward
 * with every product on libtorch: logits and hidden states within float rounding, greedy generations token for token,
 * and libtorch whenever a gradient is recorded. The model is just large enough for its products to qualify (512
 * inputs and outputs, at least 64 rows).
 */
class JavaProductsTest {
    private static final Qwen2Config CFG = Qwen2Config.builder().hiddenSize(512).numHiddenLayers(2).numAttentionHeads(8)
            .numKeyValueHeads(2).headDim(64).intermediateSize(1024).vocabSize(600).tieWordEmbeddings(false).eosTokenId(5).build();

    @Test
    void forwardWithJavaProductsEqualsLibtorchToFloatRounding() {
        assertTrue(VecOps.SIMD, "the test JVM runs with --add-modules jdk.incubator.vector");
        try (Qwen2Model model = Qwen2Model.random(CFG, Device.cpu(), DataType.FLOAT32, 5, 0.05)) {
            TokenBatch batch = TokenBatch.leftPadded(prompts(), 0);
            HookPoint hook = HookPoint.residPost(1);
            List<Intervention> capture = List.of(Intervention.capture(hook, Positions.all()));
            model.javaProducts(false);
            float[][] torch = run(model, batch, capture, hook);
            model.javaProducts(true);
            float[][] inJava = run(model, batch, capture, hook);
            for (int a = 0; a < 2; a++) {
                assertEquals(torch[a].length, inJava[a].length);
                double scale = 0;
                for (float v : torch[a]) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < torch[a].length; i++) {
                    assertEquals(torch[a][i], inJava[a][i], 1e-5 * scale, (a == 0 ? "logits" : "resid_post 1") + " at " + i);
                }
            }
            if (VecOps.WIDE) assertFalse(Arrays.equals(torch[0], inJava[0]), "512-bit vectors: the products ran in Java");
            model.productChunkFloats = 50L * CFG.vocabSize(); // the lm_head in chunks of 50, 50 and 20 rows
            float[][] chunked = run(model, batch, capture, hook);
            assertArrayEquals(inJava[0], chunked[0], "a row's outputs do not depend on the chunk it is in");
            assertArrayEquals(inJava[1], chunked[1]);
            model.productChunkFloats = 16L << 20;

            GenerationConfig greedy = GenerationConfig.greedy(8, List.of(5), 0);
            model.javaProducts(false);
            GenerationResult t = Generator.generate(model, prompts(), greedy, List.of());
            model.javaProducts(true);
            GenerationResult j = Generator.generate(model, prompts(), greedy, List.of());
            for (int b = 0; b < prompts().size(); b++) assertArrayEquals(t.generated(b), j.generated(b), "row " + b);
        }
    }

    @Test
    void aRecordedGradientKeepsEveryProductOnLibtorch() {
        try (Qwen2Model model = Qwen2Model.random(CFG, Device.cpu(), DataType.FLOAT32, 6, 0.05);
             NDManager scope = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.leftPadded(prompts(), 0);
            model.javaProducts(false);
            float[] torch = model.forward(scope, batch, List.of(), Logits.ALL).logits().toFloatArray();
            model.javaProducts(true);
            model.parameters().values().forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(scope, batch, List.of(), Logits.ALL).logits();
                assertArrayEquals(torch, logits.toFloatArray(), "the same bits as libtorch's forward");
                gc.backward(logits.sum());
            }
            assertNotEquals(0f, model.parameters().get("model.layers.0.mlp.up_proj.weight").getGradient().abs().sum().getFloat(),
                    "the graph reaches the products");
        }
    }

    private static float[][] run(Qwen2Model model, TokenBatch batch, List<Intervention> capture, HookPoint hook) {
        try (NDManager scope = NDManager.newBaseManager()) {
            ForwardResult r = model.forward(scope, batch, capture, Logits.ALL);
            return new float[][] {r.logits().toFloatArray(), r.captured(hook).toFloatArray()};
        }
    }

    /** Three prompts of different lengths: 3 × 40 = 120 rows after left padding. */
    private static List<int[]> prompts() {
        SplittableRandom rng = new SplittableRandom(9);
        List<int[]> out = new ArrayList<>();
        for (int len : new int[] {40, 23, 31}) out.add(rng.ints(len, 6, CFG.vocabSize()).toArray());
        return out;
    }
}
