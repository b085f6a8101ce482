package org.dfcspark.dfc;

import static org.dfcspark.dfc.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dfcspark.dfc.Fixtures.Case;
import org.junit.jupiter.api.Test;

/**
 * Parity with the oracle fixtures (common/src/test/resources/dfc, from the paper's and the reference's own code):
 * d = 16, D = 80, k = 6, B = 32, 8 A-exclusive, 8 B-exclusive, 64 shared. Tolerances are the fixtures' suggested ones.
 */
class FixtureParityTest {
    static final int D_IN = 16, DICT = 80, K = 6, B = 32;
    static final double FWD_RTOL = 1e-5, FWD_ATOL = 1e-6, GRAD_RTOL = 1e-4, GRAD_ATOL = 1e-6;

    /** The selected (row, feature) set must be identical; the kept values agree to the forward tolerance. */
    static void assertSelection(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] != 0f, actual[i] != 0f, what + ": selection differs at row " + i / DICT + ", feature " + i % DICT);
        }
        assertClose(expected, actual, FWD_RTOL, FWD_ATOL, what + " values");
    }

    static Crosscoder seedModel(Case c, int nA, int nB, double l1, double l1Excl) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(D_IN, DICT, K, nA, nB).withLoss(LossKind.PAPER, l1, l1Excl);
        return Crosscoder.fromPaperTensors(cfg, c.get("W_enc"), c.get("b_enc"), c.get("W_dec"), c.get("b_dec"));
    }

    private static void checkSeedCase(String file, int nA, int nB) throws Exception {
        try (Case c = new Case(file)) {
            float[] x = c.get("x");
            for (String tag : new String[] {"sp1e-3_ex1e-3", "sp1e-3_ex0"}) {
                double ex = tag.endsWith("ex0") ? 0 : 1e-3;
                Crosscoder cc = seedModel(c, nA, nB, 1e-3, ex);
                if (nA > 0) {
                    assertArrayEquals(c.get("enc_mask"), cc.partition().encMask(), "enc_mask");
                    assertArrayEquals(c.get("dec_mask"), cc.partition().decMask(), "dec_mask");
                }
                BatchStep step = new BatchStep(cc, 2);
                Gradients g = new Gradients(cc);
                LossTerms t = step.lossAndGradients(x, B, null, g);
                assertClose(c.get("pre_act"), step.preActivations(), FWD_RTOL, FWD_ATOL, file + " pre_act");
                assertSelection(c.get("features"), step.codes().toDense(), file + " features");
                assertClose(c.get("recon"), step.reconstruction(), FWD_RTOL, FWD_ATOL, file + " recon");
                float[] loss = c.get("loss__" + tag);
                float[] mine = {(float) t.total(), (float) t.term("mse"), (float) t.term("l1_shared"), (float) t.term("l1_exclusive")};
                assertClose(loss, mine, FWD_RTOL, FWD_ATOL, file + " loss " + tag);
                assertClose(c.get("grad_W_enc__" + tag), g.wEncPaperLayout(cc), GRAD_RTOL, GRAD_ATOL, file + " grad W_enc " + tag);
                assertClose(c.get("grad_b_enc__" + tag), g.bEnc(), GRAD_RTOL, GRAD_ATOL, file + " grad b_enc " + tag);
                assertClose(c.get("grad_W_dec__" + tag), g.wDec(), GRAD_RTOL, GRAD_ATOL, file + " grad W_dec " + tag);
                assertClose(c.get("grad_b_dec__" + tag), g.bDec(), GRAD_RTOL, GRAD_ATOL, file + " grad b_dec " + tag);
            }
        }
    }

    @Test
    void case1SeedDfcForwardLossGradients() throws Exception {
        checkSeedCase("case1_seed_dfc_forward_loss_grad.safetensors", 8, 8);
    }

    @Test
    void case3PlainCrosscoderIsTheZeroPartition() throws Exception {
        checkSeedCase("case3_seed_plain_cc.safetensors", 0, 0);
    }

    @Test
    void case2SeedTrajectoryFiveAdamStepsWithClippingAndRemasking() throws Exception {
        Crosscoder cc;
        try (Case c1 = new Case("case1_seed_dfc_forward_loss_grad.safetensors")) {
            cc = seedModel(c1, 8, 8, 1e-3, 1e-3);
        }
        try (Case c = new Case("case2_seed_dfc_train5.safetensors"); Case c6 = new Case("case6_exclusivity_invariant.safetensors")) {
            CrosscoderTrainer tr = new CrosscoderTrainer(cc, CrosscoderTrainer.Options.paper(1e-3), 2);
            float[] losses = c.get("losses"), norms = c.get("grad_norm_preclip");
            for (int t = 0; t < 5; t++) {
                CrosscoderTrainer.StepResult r = tr.step(c.slice("batches", t), B);
                assertEquals(CrosscoderTrainer.Status.OK, r.status());
                LossTerms lt = r.terms();
                float[] mine = {(float) lt.total(), (float) lt.term("mse"), (float) lt.term("l1_shared"), (float) lt.term("l1_exclusive")};
                float[] want = new float[4];
                System.arraycopy(losses, 4 * t, want, 0, 4);
                assertClose(want, mine, FWD_RTOL, FWD_ATOL, "case2 losses step " + (t + 1));
                assertClose(norms[t], r.gradNorm(), FWD_RTOL, FWD_ATOL, "case2 pre-clip grad norm step " + (t + 1));
                if (t == 0 || t == 4) {
                    String s = "__after_step" + (t + 1);
                    assertClose(c.get("W_enc" + s), cc.wEnc(), 0, 1e-6, "case2 W_enc" + s);
                    assertClose(c.get("b_enc" + s), cc.bEnc(), 0, 1e-6, "case2 b_enc" + s);
                    assertClose(c.get("W_dec" + s), cc.wDec(), 0, 1e-6, "case2 W_dec" + s);
                    assertClose(c.get("b_dec" + s), cc.bDec(), 0, 1e-6, "case2 b_dec" + s);
                }
            }
            // case 6: forbidden weights and their Adam moments are exactly zero after training
            assertEquals(0.0, cc.verifyPartition());
            assertEquals(0.0, tr.optimizer().maxForbiddenMoment());
            for (float v : c6.get("seed_forbidden_maxabs")) assertEquals(0.0f, v);
        }
    }

    static Crosscoder referenceModel(Case c, double auxkAlpha, long deadTokens) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(D_IN, DICT, K, 8, 8).withSparsity(Sparsity.BATCHTOPK)
                .withLoss(LossKind.REFERENCE, 0, 0).withAuxK(auxkAlpha, deadTokens);
        return Crosscoder.fromPaperTensors(cfg, c.get("enc_W"), c.get("enc_b"),
                Fixtures.layerMajorToFeatureMajor(c.get("dec_W"), DICT, D_IN), c.get("dec_b"));
    }

    static long[] longs(float[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (long) v[i];
        return out;
    }

    @Test
    void case4ReferenceBatchTopKForwardLossAuxKGradientsThreshold() throws Exception {
        try (Case c = new Case("case4_ref_batchtopk_dfc.safetensors")) {
            float[] x = c.get("x");
            for (String tag : new String[] {"total", "l2only"}) {
                Crosscoder cc = referenceModel(c, tag.equals("total") ? 1.0 / 32 : 0.0, 3L * B);
                DeadLatents dead = new DeadLatents(DICT, 3L * B);
                dead.setCounters(longs(c.get("tokens_since_fired_before")));
                BatchStep step = new BatchStep(cc, 2);
                Gradients g = new Gradients(cc);
                LossTerms t = step.lossAndGradients(x, B, dead, g);
                assertClose(c.get("code_norm"), cc.codeNorms(), FWD_RTOL, FWD_ATOL, "code_norm");
                assertClose(c.get("pre_act"), step.preActivations(), FWD_RTOL, FWD_ATOL, "pre_act");
                assertSelection(c.get("features_train"), step.codes().toDense(), "BatchTopK features");
                assertClose(c.get("recon_train"), step.reconstruction(), FWD_RTOL, FWD_ATOL, "recon_train");
                assertArrayEquals(longs(c.get("tokens_since_fired_after")), dead.counters(), "dead-latent counters");
                float[] deadMask = c.get("dead_mask");
                for (int j = 0; j < DICT; j++) assertEquals(deadMask[j] == 1f, dead.isDead(j), "dead latent " + j);
                float[] lt = c.get("loss_terms");
                if (tag.equals("total")) {
                    float[] mine = {(float) t.total(), (float) t.term("l2"), (float) t.term("auxk"), (float) t.term("pre_norm_auxk"), (float) t.term("mse")};
                    assertClose(lt, mine, FWD_RTOL, FWD_ATOL, "loss terms [loss, l2, auxk, pre_norm_auxk, mse]");
                    assertEquals(7, t.dead());
                    assertClose(c.get("threshold_update")[0], t.minActiveRanked(), FWD_RTOL, FWD_ATOL, "min selected ranked value");
                }
                assertClose(c.get("grad_enc_W__" + tag), g.wEncPaperLayout(cc), GRAD_RTOL, GRAD_ATOL, "grad enc_W " + tag);
                assertClose(c.get("grad_enc_b__" + tag), g.bEnc(), GRAD_RTOL, GRAD_ATOL, "grad enc_b " + tag);
                assertClose(Fixtures.layerMajorToFeatureMajor(c.get("grad_dec_W__" + tag), DICT, D_IN), g.wDec(), GRAD_RTOL, GRAD_ATOL, "grad dec_W " + tag);
                assertClose(c.get("grad_dec_b__" + tag), g.bDec(), GRAD_RTOL, GRAD_ATOL, "grad dec_b " + tag);
            }
            // inference: the threshold rule
            Crosscoder cc = referenceModel(c, 1.0 / 32, 3L * B);
            cc.setConfig(cc.config().withThreshold(c.get("threshold")[0]));
            BatchStep.Encoded enc = new BatchStep(cc, 1).encode(x, B);
            assertSelection(c.get("features_infer"), enc.features().toDense(), "threshold inference features");
            assertClose(c.get("recon_infer"), enc.reconstruction(), FWD_RTOL, FWD_ATOL, "threshold inference recon");
        }
    }

    @Test
    void case4bReferenceTrajectoryWarmupGeometricMedianThresholdDeadCounters() throws Exception {
        Crosscoder cc;
        try (Case c4 = new Case("case4_ref_batchtopk_dfc.safetensors")) {
            cc = referenceModel(c4, 1.0 / 32, 2L * B);
        }
        try (Case c = new Case("case4b_ref_batchtopk_train5.safetensors"); Case c6 = new Case("case6_exclusivity_invariant.safetensors")) {
            var opts = new CrosscoderTrainer.Options(new LrSchedule(1e-3, 2, -1, 5), 1.0, Init.DecoderBias.GEOMETRIC_MEDIAN, 2, 0.999);
            CrosscoderTrainer tr = new CrosscoderTrainer(cc, opts, 2);
            float[] losses = c.get("losses"), lrs = c.get("lr"), thr = c.get("threshold"), deads = c.get("running_deads"), pre = c.get("pre_norm_auxk");
            for (int t = 0; t < 5; t++) {
                CrosscoderTrainer.StepResult r = tr.step(c.slice("batches", t), B);
                assertEquals(CrosscoderTrainer.Status.OK, r.status());
                if (t == 0) assertClose(c.get("geometric_median_step0"), cc.bDec(), 0, 1e-5, "geometric median");
                assertClose(losses[t], r.terms().total(), FWD_RTOL, FWD_ATOL, "case4b loss " + t);
                assertClose(lrs[t], r.lr(), 1e-7, 0, "case4b lr " + t);
                assertClose(thr[t], cc.config().threshold(), 1e-6, 1e-9, "case4b threshold " + t);
                assertEquals((int) deads[t], r.terms().dead(), "case4b running_deads " + t);
                assertClose(pre[t], r.terms().term("pre_norm_auxk"), FWD_RTOL, FWD_ATOL, "case4b pre_norm_auxk " + t);
                assertArrayEquals(longs(c.slice("tokens_since_fired", t)), tr.deadLatents().counters(), "case4b counters " + t);
                if (t == 0 || t == 4) {
                    String s = "__after_step" + (t + 1);
                    assertClose(c.get("enc_W" + s), cc.wEnc(), 0, 1e-6, "case4b enc_W" + s);
                    assertClose(c.get("enc_b" + s), cc.bEnc(), 0, 1e-6, "case4b enc_b" + s);
                    assertClose(Fixtures.layerMajorToFeatureMajor(c.get("dec_W" + s), DICT, D_IN), cc.wDec(), 0, 1e-6, "case4b dec_W" + s);
                    assertClose(c.get("dec_b" + s), cc.bDec(), 0, 1e-5, "case4b dec_b" + s);
                }
            }
            assertEquals(0.0, cc.verifyPartition());
            assertEquals(0.0, tr.optimizer().maxForbiddenMoment());
            for (float v : c6.get("ref_forbidden_maxabs")) assertEquals(0.0f, v);
        }
    }

    @Test
    void case5NormalisationSchemes() throws Exception {
        try (Case c = new Case("case5_normalisation.safetensors")) {
            float[] acts = c.get("acts");
            ArrayActivations src = new ArrayActivations(acts, 64, D_IN, "case5");
            // reference: centre per channel + one scale per model (target rms 1 here)
            Normalization ref = Normalization.fit(src, Normalization.Scheme.SCALAR, false, 1.0);
            assertClose(c.get("ref_mean"), ref.mean(), FWD_RTOL, FWD_ATOL, "reference mean");
            float[] gs = c.get("ref_global_scale");
            for (int m = 0; m < 2; m++) for (int i = 0; i < D_IN; i++) assertClose(gs[m], ref.scale()[m * D_IN + i], FWD_RTOL, FWD_ATOL, "global scale " + m);
            float[] y = acts.clone();
            ref.normalize(y, 64);
            assertClose(c.get("ref_normalised"), y, FWD_RTOL, FWD_ATOL, "reference normalised");
            ref.denormalize(y, 64);
            assertClose(c.get("ref_denormalised"), y, FWD_RTOL, FWD_ATOL, "reference de-normalised");
            // seed: per-channel z-score, std clamped at 1e-6 (one channel is constant)
            Normalization z = Normalization.fit(src, Normalization.Scheme.ZSCORE, false, Double.NaN);
            assertClose(c.get("seed_mean"), z.mean(), FWD_RTOL, FWD_ATOL, "seed mean");
            float[] std = z.scale();
            for (int i = 0; i < std.length; i++) std[i] = 1f / std[i];
            assertClose(c.get("seed_std"), std, FWD_RTOL, FWD_ATOL, "seed std");
            float[] s = acts.clone();
            z.normalize(s, 64);
            assertClose(c.get("seed_normalised"), s, FWD_RTOL, FWD_ATOL, "seed normalised");
        }
    }
}
