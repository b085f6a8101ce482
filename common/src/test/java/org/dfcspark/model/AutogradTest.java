package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Random init, training under DJL autograd, and save/load round trips. */
class AutogradTest {
    static Qwen2Config small() {
        return Qwen2Config.builder().hiddenSize(16).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                .intermediateSize(24).vocabSize(32).ropeTheta(10000).tieWordEmbeddings(false).eosTokenId(31).build();
    }

    static final int[] SEQ = {3, 17, 5, 9, 22, 1, 30, 8, 8, 14};

    /** Mean next-token cross-entropy of SEQ, computed on the logits (B, T, V). */
    static NDArray loss(Qwen2Model m, NDManager scope, List<Intervention> ivs) {
        ForwardResult r = m.forward(scope, TokenBatch.leftPadded(List.of(SEQ), 0), ivs);
        NDArray logp = r.logits().logSoftmax(-1).get(new NDIndex("0, :-1, :"));
        long[] targets = new long[SEQ.length - 1];
        for (int i = 0; i < targets.length; i++) targets[i] = SEQ[i + 1];
        NDArray picked = logp.gather(scope.create(targets).reshape(-1, 1), 1);
        return picked.mean().neg();
    }

    @Test
    void randomInitIsDeterministicAndHfLike() {
        try (Qwen2Model a = Qwen2Model.random(small(), Device.cpu(), 7);
             Qwen2Model b = Qwen2Model.random(small(), Device.cpu(), 7);
             Qwen2Model c = Qwen2Model.random(small(), Device.cpu(), 8)) {
            Map<String, NDArray> pa = a.parameters();
            assertEquals(1 + 2 * 12 + 1 + 1, pa.size(), "embed, 12 per layer, norm, untied lm_head");
            assertArrayEquals(pa.get("model.layers.1.mlp.up_proj.weight").toFloatArray(),
                    b.parameters().get("model.layers.1.mlp.up_proj.weight").toFloatArray());
            assertFalse(java.util.Arrays.equals(pa.get("model.embed_tokens.weight").toFloatArray(),
                    c.parameters().get("model.embed_tokens.weight").toFloatArray()));
            float[] w = pa.get("model.layers.0.self_attn.q_proj.weight").toFloatArray();
            double ss = 0;
            for (float x : w) ss += x * x;
            assertEquals(0.02, Math.sqrt(ss / w.length), 0.004, "std 0.02");
            for (float x : pa.get("model.layers.0.self_attn.q_proj.bias").toFloatArray()) assertEquals(0f, x);
            for (float x : pa.get("model.norm.weight").toFloatArray()) assertEquals(1f, x);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesAndTrainingLowersTheLoss() {
        try (Qwen2Model m = Qwen2Model.random(small(), Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32, 3, 0.3);
             NDManager scope = NDManager.newBaseManager()) {
            NDArray qb = m.parameters().get("model.layers.1.self_attn.q_proj.bias");
            NDArray emb = m.parameters().get("model.embed_tokens.weight");
            m.parameters().values().forEach(p -> p.setRequiresGradient(true));
            // an edit at a hook stays differentiable
            List<Intervention> ivs = List.of(Intervention.add(HookPoint.residPost(0), new float[16], 1.0, Positions.all(), Phase.PREFILL));
            float analyticQ, analyticE;
            float before;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss(m, scope, ivs);
                before = l.getFloat();
                gc.backward(l);
            }
            try (NDArray gq = qb.getGradient(); NDArray ge = emb.getGradient()) {
                analyticQ = gq.getFloat(5);
                analyticE = ge.get(SEQ[2], 4).getFloat();
                assertNotEquals(0f, analyticQ);
            }
            float numericQ = finiteDifference(m, scope, qb, new NDIndex("5"));
            float numericE = finiteDifference(m, scope, emb, new NDIndex("{}, 4", SEQ[2]));
            assertEquals(numericQ, analyticQ, 0.03 * Math.abs(numericQ) + 1e-4, "dL/d q_proj.bias[5]");
            assertEquals(numericE, analyticE, 0.03 * Math.abs(numericE) + 1e-4, "dL/d embed[t, 4]");

            // plain SGD on one sequence: the loss must fall
            float lr = 0.5f;
            float after = before;
            for (int step = 0; step < 15; step++) {
                for (NDArray p : m.parameters().values()) p.getGradient().subi(p.getGradient()); // zero grads
                try (NDManager s = scope.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = loss(m, s, List.of());
                    after = l.getFloat();
                    gc.backward(l);
                }
                for (NDArray p : m.parameters().values()) {
                    try (NDArray g = p.getGradient()) {
                        p.subi(g.mul(lr));
                    }
                }
            }
            assertTrue(after < before * 0.5, "loss " + before + " -> " + after);
        }
    }

    /** (L(w + eps) - L(w - eps)) / 2 eps for one element, without autograd. */
    private static float finiteDifference(Qwen2Model m, NDManager scope, NDArray param, NDIndex at) {
        float eps = 1e-2f;
        float w0 = param.get(at).getFloat();
        param.set(at, w0 + eps);
        float up = loss(m, scope, List.of()).getFloat();
        param.set(at, w0 - eps);
        float down = loss(m, scope, List.of()).getFloat();
        param.set(at, w0);
        return (up - down) / (2 * eps);
    }

    @Test
    void saveThenLoadGivesTheSameModel(@TempDir Path dir) throws IOException {
        for (boolean tied : new boolean[] {true, false}) {
            Qwen2Config cfg = Qwen2Config.builder().hiddenSize(16).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                    .intermediateSize(24).vocabSize(32).tieWordEmbeddings(tied).eosTokenId(31).build();
            Path out = dir.resolve("m" + tied);
            try (Qwen2Model a = Qwen2Model.random(cfg, Device.cpu(), 11); NDManager scope = NDManager.newBaseManager()) {
                a.save(out);
                assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
                try (Qwen2Model b = Qwen2Model.load(out, Device.cpu())) {
                    assertEquals(cfg, b.config());
                    assertEquals(a.parameters().keySet(), b.parameters().keySet());
                    assertEquals(tied, !b.parameters().containsKey("lm_head.weight"));
                    TokenBatch batch = TokenBatch.leftPadded(List.of(SEQ), 0);
                    assertArrayEquals(a.forward(scope, batch, List.of()).logits().toFloatArray(),
                            b.forward(scope, batch, List.of()).logits().toFloatArray());
                }
            }
        }
    }
}
