package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Training on synthetic data with a known dictionary (see {@link SyntheticActivations} for the generator): planted
 * features are recovered and land in the right partition; the plain crosscoder and its relative-norm reading as a
 * contrast; separate vs tied decoders on A = B + a sparse offset, read through the A−B decomposition.
 */
class GroundTruthRecoveryTest {

    static Crosscoder train(ArrayActivations src, CrosscoderConfig cfg, int steps, double lr, long seed) throws Exception {
        cfg = cfg.withNormalization(Normalization.fit(src, Normalization.Scheme.SCALAR, cfg.coupling() == Coupling.TIED, Double.NaN));
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, seed);
        var trainer = new CrosscoderTrainer.Options(LrSchedule.constant(lr), 1.0, Init.DecoderBias.ZEROS, 1000, 0.999);
        TrainingRun.run(cc, src, new TrainingRun.Options(steps, 256, true, seed, steps, 0, 0, null, null, null, 2, trainer, Map.of()));
        assertEquals(0.0, cc.verifyPartition(), "exclusivity after training");
        return cc;
    }

    /** For each planted feature: the learned latent whose decoder [d_A | d_B] has the largest cosine with it. */
    record Match(int[] latent, double[] cosine) {
        double meanCosine() {
            double s = 0;
            for (double c : cosine) s += c;
            return s / cosine.length;
        }
    }

    static Match match(Crosscoder cc, SyntheticActivations.Data data) {
        int w = 2 * cc.activationDim(), f = data.direction().length;
        int[] best = new int[f];
        double[] cos = new double[f];
        for (int i = 0; i < f; i++) {
            float[] u = data.direction()[i];
            cos[i] = -2;
            for (int j = 0; j < cc.dictSize(); j++) {
                double dot = 0, nn = 0;
                for (int c = 0; c < w; c++) {
                    dot += u[c] * cc.dec[j * w + c];
                    nn += (double) cc.dec[j * w + c] * cc.dec[j * w + c];
                }
                double cj = nn > 0 ? dot / Math.sqrt(nn) : -2;
                if (cj > cos[i]) {
                    cos[i] = cj;
                    best[i] = j;
                }
            }
        }
        return new Match(best, cos);
    }

    static double fraction(SyntheticActivations.Data data, SyntheticActivations.Kind planted, java.util.function.IntPredicate ok, Match m) {
        int n = 0, good = 0;
        for (int i = 0; i < data.kind().length; i++) {
            if (data.kind()[i] != planted) continue;
            n++;
            if (ok.test(m.latent()[i])) good++;
        }
        return (double) good / n;
    }

    @Test
    void dfcRecoversPlantedFeaturesInTheRightPartitionAndPlainCrosscoderContrast() throws Exception {
        // 8 A-only, 8 B-only, 48 shared planted features in d = 64; DFC with 24 | 24 | 48 latents, k = 6
        SyntheticActivations.Data data = SyntheticActivations.planted(64, 8, 8, 48, 0.06, 0.01, 20000, 42);
        ArrayActivations src = data.source("planted");
        Crosscoder dfc = train(src, CrosscoderConfig.paper(64, 96, 6, 24, 24), 2000, 1e-3, 1);
        Match m = match(dfc, data);
        double aOk = fraction(data, SyntheticActivations.Kind.A_ONLY, j -> dfc.partition().kind(j) == Partition.Kind.A_EXCLUSIVE, m);
        double bOk = fraction(data, SyntheticActivations.Kind.B_ONLY, j -> dfc.partition().kind(j) == Partition.Kind.B_EXCLUSIVE, m);
        System.out.printf("DFC: mean max cosine %.3f; planted A-only matched by A-exclusive latents %.0f%%, B-only by B-exclusive %.0f%%%n",
                m.meanCosine(), 100 * aOk, 100 * bOk);
        assertTrue(m.meanCosine() >= 0.9, "mean max cosine " + m.meanCosine());
        assertTrue(aOk >= 0.9, "A-only planted features in the A-exclusive partition: " + aOk);
        assertTrue(bOk >= 0.9, "B-only planted features in the B-exclusive partition: " + bOk);

        // contrast: a plain crosscoder (0/0 partition of the same class) with the same budget, read by relative norm
        Crosscoder cc = train(src, CrosscoderConfig.paper(64, 96, 6, 0, 0), 2000, 1e-3, 1);
        Match mc = match(cc, data);
        double[] rel = Diagnostics.decoderStats(cc).relNorm();
        double aCls = fraction(data, SyntheticActivations.Kind.A_ONLY, j -> Diagnostics.DecoderStats.classify(rel[j]) == Partition.Kind.A_EXCLUSIVE, mc);
        double bCls = fraction(data, SyntheticActivations.Kind.B_ONLY, j -> Diagnostics.DecoderStats.classify(rel[j]) == Partition.Kind.B_EXCLUSIVE, mc);
        double sCls = fraction(data, SyntheticActivations.Kind.SHARED, j -> Diagnostics.DecoderStats.classify(rel[j]) == Partition.Kind.SHARED, mc);
        System.out.printf("plain CC: mean max cosine %.3f; relative-norm classes of the best matches: A-only %.0f%%, B-only %.0f%%, shared %.0f%%%n",
                mc.meanCosine(), 100 * aCls, 100 * bCls, 100 * sCls);
        assertEquals(0, cc.partition().nA() + cc.partition().nB());
        assertTrue(mc.meanCosine() >= 0.9, "plain crosscoder recovers the dictionary too: " + mc.meanCosine());
        // on clean synthetic data the relative norm does separate the planted kinds; the DFC makes it structural
        assertTrue(aCls >= 0.75 && bCls >= 0.75 && sCls >= 0.75, "relative-norm classification " + aCls + ", " + bCls + ", " + sCls);
    }

    @Test
    void tiedCouplingPutsAFineTuningOffsetIntoAExclusiveFeaturesSeparateDoesNot() throws Exception {
        // A = B + δ on 20% of rows (|δ| = 3); 32 shared features with identical directions in both models
        SyntheticActivations.Data data = SyntheticActivations.fineTuned(32, 32, 0.1, 0.01, 0.2, 3.0, 10000, 7);
        ArrayActivations src = data.source("fine-tuned");
        int affected = 0;
        for (boolean b : data.affected()) if (b) affected++;
        float[] sub = new float[affected * 64];
        for (int r = 0, s = 0; r < data.n(); r++) if (data.affected()[r]) System.arraycopy(data.rows(), r * 64, sub, 64 * s++, 64);
        ArrayActivations changed = new ArrayActivations(sub, affected, 32, "affected rows");

        CrosscoderConfig base = CrosscoderConfig.paper(32, 64, 6, 8, 8);
        Crosscoder separate = train(src, base, 1500, 1e-3, 3);
        Crosscoder tied = train(src, base.withCoupling(Coupling.TIED), 1500, 1e-3, 3);
        assertEquals(0.0, tied.maxTieViolation(), "tied halves stay identical");
        Diagnostics.Decomposition ds = Diagnostics.meanDifference(separate, changed, 512, 2);
        Diagnostics.Decomposition dt = Diagnostics.meanDifference(tied, changed, 512, 2);
        System.out.println("separate decoders, rows with the offset:\n" + ds.report());
        System.out.println("tied decoders, rows with the offset:\n" + dt.report());
        double sepShare = ds.carried("A-exclusive") / ds.dataNorm(), tiedShare = dt.carried("A-exclusive") / dt.dataNorm();
        assertTrue(tiedShare >= 0.8, "tied: A-exclusive features carry " + tiedShare + " of the A-B difference");
        assertTrue(tiedShare - sepShare >= 0.3, "separate decoders let the bias/normalisation/shared features absorb it: " + sepShare);
        // with tied coupling neither the decoder bias nor the shared features nor the normalisation can hold any of it
        assertEquals(0.0, dt.norm("decoder bias"), 1e-6);
        assertEquals(0.0, dt.norm("shared"), 1e-6);
        assertEquals(0.0, dt.norm("normalization"), 1e-6);
    }
}
