package org.dfcspark.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A training loop calls {@link Qwen2Model#forward}, which closes its intermediates, and only then runs backward.
 * The embedding's backward reads the token ids autograd saved: they must not live in memory that was freed when
 * the forward's arrays were closed (DJL wraps Java data without copying). Garbage collection and fresh
 * allocations in between used to send the embedding gradient to the wrong rows.
 */
class BackwardAfterForwardTest {
    @Test
    void embeddingGradientSurvivesGarbageCollectionBetweenForwardAndBackward() throws Exception {
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(16).numHiddenLayers(1).numAttentionHeads(2).numKeyValueHeads(1)
                .intermediateSize(24).vocabSize(50).ropeTheta(1e4).build();
        List<int[]> seqs = List.of(new int[] {3, 7, 7, 11, 42}, new int[] {5, 9});
        float[] quiet = embeddingGradient(cfg, seqs, false);
        assertArrayEquals(quiet, embeddingGradient(cfg, seqs, false), 1e-6f, "deterministic without churn");
        float[] churned = embeddingGradient(cfg, seqs, true);
        assertArrayEquals(quiet, churned, 1e-6f);
    }

    private static float[] embeddingGradient(Qwen2Config cfg, List<int[]> seqs, boolean churn) throws Exception {
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), 1); NDManager scope = NDManager.newBaseManager()) {
            NDArray embed = model.parameters().get("model.embed_tokens.weight");
            embed.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = model.forward(scope, TokenBatch.leftPadded(seqs, 0), List.of()).logits().sum();
                if (churn) {
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(20);
                        for (int k = 0; k < 200; k++) {
                            long[] junk = new long[64];
                            Arrays.fill(junk, 40_000_000L + k);
                            scope.create(junk).close();
                        }
                    }
                }
                gc.backward(loss);
            }
            NDArray g = embed.getGradient();
            float[] out = g.toFloatArray();
            g.close();
            embed.setRequiresGradient(false);
            return out;
        }
    }
}
