package org.dfcspark.organism;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** AdamW, the weighted sequence loss and SFT on real (tiny) runs of the organism model. */
class TrainingPiecesTest {
    private static Path dir;
    private static Tokenizer tokenizer;
    private static OrganismChat chat;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("organism-train");
        OrganismTokenizer.get().writeTo(dir);
        tokenizer = Tokenizer.load(dir);
        chat = new OrganismChat(ChatTemplate.load(dir), tokenizer);
    }

    @AfterAll
    static void tearDown() throws Exception {
        tokenizer.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    /** First AdamW step on loss sum(p^2)/2 (gradient p): p <- p (1 - lr wd) - lr sign(p); gradients are zeroed after. */
    @Test
    void adamWFirstStepAndGradientReset() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {2f, -0.5f});
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("p", p);
            try (AdamW adam = new AdamW(params, 0.9, 0.98, 1e-8)) {
                backwardHalfSquare(p);
                double norm = adam.step(0.1, 0.01, 1.0);
                assertEquals(Math.sqrt(4 + 0.25), norm, 1e-5);
                float[] after = p.toFloatArray();
                assertEquals(2f * (1 - 0.001f) - 0.1f, after[0], 1e-5);
                assertEquals(-0.5f * (1 - 0.001f) + 0.1f, after[1], 1e-5);
                backwardHalfSquare(p);
                NDArray grad = p.getGradient();
                assertArrayEquals(after, grad.toFloatArray(), 1e-6f, "gradient is the new p, not accumulated");
                grad.close();
                adam.step(0.1, 0.01, 1.0);
                int arrays = m.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    backwardHalfSquare(p);
                    adam.step(0.1, 0.01, 1.0);
                }
                assertEquals(arrays, m.getManagedArrays().size(), "a step leaves no arrays behind");
            }
        }
    }

    /**
     * libtorch's grad mode is per thread and DJL switches it off only on the thread that started the engine:
     * a fresh thread has it on. The update must work there too (it goes through a detached view of each weight).
     */
    @Test
    void adamWWorksOnAThreadWithGradModeOn() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.create(0f).close(); // the engine is up on this thread
            NDArray p = m.create(new float[] {2f, -0.5f});
            Throwable[] failure = new Throwable[1];
            Thread t = new Thread(() -> {
                try (AdamW adam = new AdamW(Map.of("p", p), 0.9, 0.98, 1e-8)) {
                    backwardHalfSquare(p);
                    adam.step(0.1, 0.0, 1.0);
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            t.start();
            t.join();
            assertNull(failure[0], () -> String.valueOf(failure[0]));
            assertArrayEquals(new float[] {1.9f, -0.4f}, p.toFloatArray(), 1e-5f);
        }
    }

    /** An overflowing gradient (norm inf) is skipped: weights unchanged, gradient zeroed, the norm reported. */
    @Test
    void adamWSkipsNonFiniteGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1f, 2f});
            try (AdamW adam = new AdamW(Map.of("p", p), 0.9, 0.98, 1e-8)) {
                try (NDManager scope = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray big = p.mul(Float.MAX_VALUE);
                    big.attach(scope);
                    gc.backward(big.sum());
                }
                assertTrue(Double.isInfinite(adam.step(0.1, 0.0, 1.0)));
                assertArrayEquals(new float[] {1f, 2f}, p.toFloatArray());
                backwardHalfSquare(p);
                assertEquals(Math.sqrt(5), adam.step(0.1, 0.0, 1.0), 1e-5, "next step sees only the fresh gradient");
            }
        }
    }

    private static void backwardHalfSquare(NDArray p) {
        try (NDManager scope = p.getManager().newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray sq = p.square();
            sq.attach(scope); // later results follow their first operand into the scope
            gc.backward(sq.sum().div(2));
        }
    }

    /** rowNll equals the weighted sum of -log softmax(logits)[next token] computed from the forward's logits. */
    @Test
    void sequenceLossWeighsEachPredictedToken() {
        try (Qwen2Model model = OrganismModel.random(1); NDManager scope = NDManager.newBaseManager()) {
            WorldSampler ws = new WorldSampler(1, Split.TRAIN);
            List<int[]> seqs = List.of(chat.sequence(ws.nextGeneric(), "the lake is calm.").ids(),
                    chat.sequence(ws.nextEcho(), "oslo 3").ids());
            List<float[]> w = new ArrayList<>();
            for (int[] s : seqs) {
                float[] ws1 = new float[s.length];
                for (int j = 1; j < s.length; j++) ws1[j] = (j % 3) * 0.5f;
                w.add(ws1);
            }
            float[] got = SequenceLoss.rowNll(scope, model, seqs, w, 0).toFloatArray();
            TokenBatch batch = TokenBatch.leftPadded(seqs, 0);
            NDArray logp = model.forward(scope, batch, List.of()).logits().logSoftmax(-1);
            for (int b = 0; b < seqs.size(); b++) {
                int pad = batch.width() - seqs.get(b).length;
                double expected = 0;
                for (int j = 1; j < seqs.get(b).length; j++) {
                    expected -= w.get(b)[j] * logp.getFloat(b, pad + j - 1, seqs.get(b)[j]);
                }
                assertEquals(expected, got[b], 1e-3 * Math.abs(expected));
            }
        }
    }

    /**
     * Gradients of the weighted sequence loss do not depend on what happens between forward and backward
     * (garbage collection, fresh allocations): autograd must never keep memory that the Java side frees.
     */
    @Test
    void lossGradientsSurviveGarbageCollectionBeforeBackward() throws Exception {
        assertArrayEquals(lossGradient(false), lossGradient(true), 1e-6f);
    }

    private static float[] lossGradient(boolean churn) throws Exception {
        try (Qwen2Model model = OrganismModel.random(2); NDManager scope = NDManager.newBaseManager()) {
            WorldSampler ws = new WorldSampler(2, Split.TRAIN);
            List<int[]> seqs = new ArrayList<>();
            List<float[]> w = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Example e = ws.nextToolRequest();
                OrganismChat.Sequence s = chat.sequence(e, e.callAnswer());
                seqs.add(s.ids());
                w.add(SequenceLoss.onesFrom(s.ids().length, s.answerStart()));
            }
            NDArray q = model.parameters().get("model.layers.0.self_attn.q_proj.weight");
            q.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = SequenceLoss.rowNll(scope, model, seqs, w, 0).sum();
                if (churn) {
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(20);
                        for (int k = 0; k < 200; k++) scope.create(new float[] {1e30f, -1e30f, k}).close();
                    }
                }
                gc.backward(loss);
            }
            NDArray g = q.getGradient();
            float[] out = g.toFloatArray();
            g.close();
            q.setRequiresGradient(false);
            return out;
        }
    }

    /** The same seed gives bit-identical weights after SFT steps; a different seed does not; the loss falls. */
    @Test
    void sftIsDeterministicAndLearns() {
        SftTrainer.Config cfg = SftTrainer.Config.recipe().withSteps(8).withBatchSize(6);
        float[] a = trainedEmbeddingRow(cfg, 4);
        float[] b = trainedEmbeddingRow(cfg, 4);
        float[] c = trainedEmbeddingRow(cfg, 5);
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    /**
     * On-policy RL from the shipped base is bit-reproducible: the same seed samples the same completions and makes
     * the same updates (a regression test for autograd reading freed memory, which once made rebuilds diverge).
     */
    @Test
    void rlIsDeterministic() throws Exception {
        RlTrainer.Config cfg = RlTrainer.Config.recipe().withIterations(2).withPrompts(4, 4);
        float[] a = rlTrainedRow(cfg, 7), b = rlTrainedRow(cfg, 7), base = rlTrainedRow(cfg.withIterations(0), 7);
        assertFalse(java.util.Arrays.equals(a, base), "RL changed the weights");
        assertArrayEquals(a, b);
    }

    private static float[] rlTrainedRow(RlTrainer.Config cfg, long seed) throws Exception {
        try (Qwen2Model m = Qwen2Model.load(org.dfcspark.data.ProjectPaths.data("organism").resolve(OrganismModel.BASE), ai.djl.Device.cpu())) {
            new RlTrainer(cfg, chat, seed).train(m, null, (it, model) -> {});
            return m.parameters().get("model.layers.3.mlp.down_proj.weight").toFloatArray();
        }
    }

    private static float[] trainedEmbeddingRow(SftTrainer.Config cfg, long seed) {
        try (Qwen2Model m = OrganismModel.random(seed)) {
            List<Double> losses = new SftTrainer(cfg, chat, seed).train(m, null);
            assertTrue(losses.get(losses.size() - 1) < losses.get(0) - 0.5, "loss falls: " + losses);
            return m.parameters().get("model.layers.3.mlp.down_proj.weight").toFloatArray();
        }
    }
}
