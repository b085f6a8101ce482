package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A training step leaves the gradient rows of features that fired nowhere unwritten (marked zero, their norm terms
 * summed as they are computed) and Adam then skips reading them: the same parameters, moments and gradient norms,
 * bit for bit, as the same steps on the written-out zeros.
 */
class GradientsTest {
    static final int D_IN = 16, DICT = 96, K = 3, ROWS = 8;

    @ParameterizedTest
    @CsvSource({"topk,separate", "topk,tied", "batchtopk,separate", "batchtopk,tied"})
    void unwrittenZeroRowsTrainAsWrittenZeros(String sparsity, String coupling) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(D_IN, DICT, K, 10, 7).withSparsity(Sparsity.parse(sparsity))
                .withCoupling(Coupling.parse(coupling));
        Crosscoder sparse = new Crosscoder(cfg);
        Init.weights(sparse, Init.Weights.PAPER, 3);
        sparse.tieDecoders();
        Crosscoder dense = sparse.copy();
        CrosscoderTrainer.Options opts = CrosscoderTrainer.Options.paper(1e-3);
        CrosscoderTrainer a = new CrosscoderTrainer(sparse, opts, 1), b = new CrosscoderTrainer(dense, opts, 1);
        Gradients ga = new Gradients(sparse), gb = new Gradients(dense);
        SplittableRandom rng = new SplittableRandom(9);
        int unwritten = 0;
        for (int step = 0; step < 12; step++) {
            float[] x = new float[ROWS * 2 * D_IN];
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
            LossTerms ta = a.computeGradients(x, ROWS, ga), tb = b.computeGradients(x, ROWS, gb);
            for (int j = 0; j < DICT; j++) unwritten += ga.isZeroRow(j) ? 1 : 0;
            gb.buffers(); // the dense path: every row written
            CrosscoderTrainer.StepResult ra = a.apply(ga, ta), rb = b.apply(gb, tb);
            assertEquals(rb.gradNorm(), ra.gradNorm(), "gradient norm at step " + step); // exact: assertEquals on doubles
            float[][] pa = sparse.parameterArrays(), pb = dense.parameterArrays();
            for (int t = 0; t < pa.length; t++) assertArrayEquals(pb[t], pa[t], "parameter " + t + " after step " + step);
        }
        assertTrue(unwritten > 12 * DICT / 2, "most rows should be left unwritten with k = " + K + " of " + DICT + ": " + unwritten);
        // the unwritten rows read back as zeros
        float[][] g = ga.buffers();
        for (int j = 0; j < DICT; j++) {
            if (ga.zeroRow[j]) for (int c = 0; c < 2 * D_IN; c++) assertEquals(0f, g[0][j * 2 * D_IN + c]);
        }
    }
}
