package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hand-derived gradients against central finite differences of the loss, for every loss × sparsity × coupling
 * combination, on a small crosscoder (d = 6, D = 24: 4 A-exclusive, 5 B-exclusive, 15 shared). Coordinates whose
 * perturbation changes the sparse selection are skipped (the loss is not differentiable across a selection change).
 * AuxK is left out here (α = 0): it reconstructs the <em>detached</em> residual, so by design its gradient is not the
 * derivative of the loss value; the reference's own AuxK gradients are pinned by the case-4 fixture instead.
 */
class FiniteDifferenceTest {
    static final int D_IN = 6, DICT = 24, K = 4, ROWS = 12;

    @ParameterizedTest
    @CsvSource({"paper,topk,separate", "paper,topk,tied", "reference,batchtopk,separate", "reference,topk,tied",
            "anthropic,relu,separate", "anthropic,relu,tied", "paper,batchtopk,separate"})
    void gradientsMatchFiniteDifferences(String loss, String sparsity, String coupling) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(D_IN, DICT, K, 4, 5).withSparsity(Sparsity.parse(sparsity))
                .withCoupling(Coupling.parse(coupling)).withLoss(LossKind.parse(loss), 0.05, 0.03).withAuxK(0.0, 2 * ROWS);
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, 11);
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < cc.bEnc.length; i++) cc.bEnc[i] = (float) (0.1 * rng.nextGaussian());
        for (int i = 0; i < cc.bDec.length; i++) cc.bDec[i] = (float) (0.1 * rng.nextGaussian());
        cc.tieDecoders();
        float[] x = new float[ROWS * 2 * D_IN];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        // latents 0, 3, 6, … have not fired for a long time, so AuxK is exercised by the reference loss
        long[] counters = new long[DICT];
        for (int j = 0; j < DICT; j += 3) counters[j] = 10 * ROWS;

        Gradients g = new Gradients(cc);
        BatchStep step = new BatchStep(cc, 1);
        step.lossAndGradients(x, ROWS, dead(counters), g);
        g.buffers(); // the arrays as they are: the rows of features that fired nowhere written as zeros
        String selection = selection(step);

        int checked = 0;
        checked += check(cc, g.encT, cc.encT, x, counters, selection, "W_enc", rng, false);
        checked += check(cc, g.dec, cc.dec, x, counters, selection, "W_dec", rng, cfg.coupling() == Coupling.TIED);
        checked += check(cc, g.bEnc, cc.bEnc, x, counters, selection, "b_enc", rng, false);
        checked += check(cc, g.bDec, cc.bDec, x, counters, selection, "b_dec", rng, cfg.coupling() == Coupling.TIED);
        assertTrue(checked >= 40, "too few coordinates checked: " + checked);
        // forbidden gradients are exactly zero
        Crosscoder probe = cc;
        for (int j = 0; j < 9; j++) {
            int lo = probe.partition.loModel(j) * D_IN, hi = probe.partition.hiModel(j) * D_IN;
            for (int c = 0; c < 2 * D_IN; c++) {
                if (c >= lo && c < hi) continue;
                assertEquals(0f, g.encT[j * 2 * D_IN + c]);
                assertEquals(0f, g.dec[j * 2 * D_IN + c]);
            }
        }
    }

    private static DeadLatents dead(long[] counters) {
        DeadLatents dl = new DeadLatents(DICT, 2 * ROWS);
        dl.setCounters(counters);
        return dl;
    }

    private static String selection(BatchStep s) {
        return Arrays.toString(nonZero(s.codes().toDense()));
    }

    private static boolean[] nonZero(float[] v) {
        boolean[] b = new boolean[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i] != 0f;
        return b;
    }

    private static double loss(Crosscoder cc, float[] x, long[] counters, String[] selectionOut) {
        BatchStep s = new BatchStep(cc, 1);
        double l = s.lossAndGradients(x, ROWS, dead(counters), null).total();
        selectionOut[0] = selection(s);
        return l;
    }

    /** Checks up to 12 allowed coordinates of one parameter; tied: the two halves are perturbed together. */
    private static int check(Crosscoder cc, float[] grad, float[] param, float[] x, long[] counters, String selection, String name,
                             SplittableRandom rng, boolean tiedHalves) {
        int checked = 0, w = 2 * D_IN;
        for (int attempt = 0; attempt < 60 && checked < 12; attempt++) {
            int i = rng.nextInt(param.length);
            if (param.length == DICT * w) {
                int j = i / w, c = i % w;
                if (c < cc.partition.loModel(j) * D_IN || c >= cc.partition.hiModel(j) * D_IN) continue;
            }
            int twin = -1;
            if (tiedHalves) {
                boolean isBias = param.length == w;
                int j = i / w, c = i % w;
                if (isBias || cc.partition.isShared(j)) {
                    if (c >= D_IN) continue; // perturb via the A half
                    twin = (isBias ? 0 : j * w) + D_IN + c;
                }
            }
            double h = 1e-2;
            float orig = param[i];
            String[] sel = new String[1];
            set(param, i, twin, orig + h);
            double up = loss(cc, x, counters, sel);
            String selUp = sel[0];
            set(param, i, twin, orig - h);
            double down = loss(cc, x, counters, sel);
            String selDown = sel[0];
            set(param, i, twin, orig);
            if (!selUp.equals(selection) || !selDown.equals(selection)) continue;
            double fd = (up - down) / (2 * h);
            double an = grad[i];
            assertEquals(fd, an, 2e-3 + 2e-2 * Math.abs(fd), name + "[" + i + "]: finite difference " + fd + " vs analytic " + an);
            checked++;
        }
        return checked;
    }

    private static void set(float[] p, int i, int twin, double v) {
        p[i] = (float) v;
        if (twin >= 0) p[twin] = (float) v;
    }
}
