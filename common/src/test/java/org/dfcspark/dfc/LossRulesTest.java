package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.dfcspark.dfc.rules.AnthropicLoss;
import org.dfcspark.dfc.rules.LossBatch;
import org.dfcspark.dfc.rules.LossRule;
import org.dfcspark.dfc.rules.LossRules;
import org.dfcspark.dfc.rules.PaperLoss;
import org.dfcspark.dfc.rules.ReferenceLoss;
import org.junit.jupiter.api.Test;

/**
 * Losses are found by name, and each loss class reproduces, bit for bit, the formulas BatchStep had before the rules
 * were split out (copied below from BatchStep at commit 342f469, unchanged apart from the indentation). In package
 * dfc, not dfc.rules, because the copy reads SparseCodes' package-private arrays.
 */
class LossRulesTest {
    private static final int ROWS = 6, D = 5, DICT = 24, NA = 5, NB = 7;
    private static final double AUXK = 0.375, PRE_NORM_AUXK = 1.5;

    @Test
    void everyConfigNameHasItsLoss() {
        assertInstanceOf(PaperLoss.class, LossRules.named("paper"));
        assertInstanceOf(ReferenceLoss.class, LossRules.named("reference"));
        assertInstanceOf(AnthropicLoss.class, LossRules.named("anthropic"));
        for (LossKind k : LossKind.values()) assertEquals(k.id(), LossRules.of(k).name());
        assertTrue(LossRules.named("reference").needsDeadLatents());
        assertFalse(LossRules.named("paper").needsDeadLatents());
        CrosscoderConfig cfg = config(LossKind.ANTHROPIC);
        assertEquals(cfg.l1(), LossRules.named("anthropic").decoderNormPenalty(cfg));
        assertEquals(0.0, LossRules.named("paper").decoderNormPenalty(cfg));
    }

    @Test
    void anUnknownNameIsRefusedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LossRules.named("mse"));
        assertTrue(e.getMessage().contains("'mse'") && e.getMessage().contains("[paper, reference, anthropic]"), e.getMessage());
    }

    @Test
    void eachLossReproducesTheOldFormulas() {
        for (LossKind kind : LossKind.values()) {
            CrosscoderConfig cfg = config(kind);
            Old old = new Old(new SplittableRandom(3));
            Old now = new Old(new SplittableRandom(3));
            Map<String, Double> oldTerms = new LinkedHashMap<>(), newTerms = new LinkedHashMap<>();
            float[] oldPenalty = new float[DICT], newPenalty = new float[DICT];
            double oldTotal = switch (kind) {
                case PAPER -> old.paperLoss(cfg, old.sse, oldTerms, oldPenalty);
                case ANTHROPIC -> old.anthropicLoss(cfg, old.sse, oldTerms, oldPenalty);
                case REFERENCE -> {
                    // the old caller added AuxK after the reference loss
                    double total = old.referenceLoss(cfg, old.rowSse, old.sse, oldTerms);
                    oldTerms.put("auxk", AUXK);
                    oldTerms.put("pre_norm_auxk", PRE_NORM_AUXK);
                    oldTerms.put("mse", (old.sse[0] + old.sse[1]) / (2.0 * ROWS));
                    total += cfg.auxkAlpha() * AUXK;
                    yield total;
                }
            };
            LossRule rule = LossRules.of(kind);
            double newTotal = rule.loss(now, cfg, newTerms, newPenalty);
            assertEquals(oldTotal, newTotal, kind.id());
            assertEquals(oldTerms, newTerms, kind.id());
            assertArrayEquals(old.gx, now.gx, kind.id() + " d loss/d x̂");
            assertArrayEquals(oldPenalty, newPenalty, kind.id() + " penalty");
        }
    }

    private static CrosscoderConfig config(LossKind kind) {
        return CrosscoderConfig.paper(D, DICT, 3, NA, NB).withLoss(kind, 2e-3, 3e-3).withAuxK(0.25, 10);
    }

    /** A random batch, readable by the old formulas (fields named as in BatchStep) and by the loss rules. */
    private static final class Old implements LossBatch {
        final int rows = ROWS, d = D, w = 2 * D, dict = DICT;
        final Partition partition = new Partition(DICT, NA, NB);
        final float[] x = new float[rows * w], recon = new float[rows * w], gx = new float[rows * w];
        final float[] codeNorm = new float[dict];
        final SparseCodes codes = new SparseCodes(dict);
        final double[] sse = new double[2], rowSse = new double[2 * rows];

        Old(SplittableRandom r) {
            for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextGaussian(); recon[i] = (float) r.nextGaussian(); }
            for (int j = 0; j < dict; j++) codeNorm[j] = 0.5f + (float) r.nextDouble();
            float[] pre = new float[rows * dict];
            for (int i = 0; i < pre.length; i++) pre[i] = (float) r.nextGaussian();
            FeatureSelection.topKPerRow(pre, rows, dict, 4, null, null, codes, 1);
            for (int b = 0; b < rows; b++) {
                for (int m = 0; m < 2; m++) {
                    double s = 0;
                    for (int i = m * d; i < (m + 1) * d; i++) { double e = (double) recon[b * w + i] - x[b * w + i]; s += e * e; }
                    rowSse[2 * b + m] = s;
                    sse[m] += s;
                }
            }
        }

        @Override public int rows() { return rows; }
        @Override public int d() { return d; }
        @Override public int width() { return w; }
        @Override public int dictSize() { return dict; }
        @Override public Partition partition() { return partition; }
        @Override public float[] input() { return x; }
        @Override public float[] reconstruction() { return recon; }
        @Override public float[] reconstructionGradient() { return gx; }
        @Override public SparseCodes codes() { return codes; }
        @Override public float[] codeNorms() { return codeNorm; }
        @Override public double[] sse() { return sse; }
        @Override public double[] rowSse() { return rowSse; }
        @Override public double[] auxK(double alpha) { return new double[] {AUXK, PRE_NORM_AUXK}; }

        // ---- BatchStep's loss formulas before the split (verbatim) ----

        /** mse (mean over all elements) + λ_excl·(mean|f_{A∪S}| + mean|f_{B∪S}|)/2 + λ_sh·mean|f_S|; a mean over an empty block is 0. */
        private double paperLoss(CrosscoderConfig cfg, double[] sse, Map<String, Double> terms, float[] penalty) {
            int n = rows;
            Partition p = partition;
            double count = (double) n * w;
            double mse = (sse[0] + sse[1]) / count;
            float scale = (float) (2.0 / count);
            for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
            double sumA = 0, sumB = 0, sumS = 0;
            for (int b = 0; b < n; b++) {
                for (int e = codes.start[b], s = e + codes.count[b]; e < s; e++) {
                    switch (p.kind(codes.index[e])) {
                        case A_EXCLUSIVE -> sumA += codes.value[e];
                        case B_EXCLUSIVE -> sumB += codes.value[e];
                        case SHARED -> sumS += codes.value[e];
                    }
                }
            }
            double nAS = (double) n * (p.nA() + p.nShared()), nBS = (double) n * (p.nB() + p.nShared()), nS = (double) n * p.nShared();
            double meanAS = nAS > 0 ? (sumA + sumS) / nAS : 0, meanBS = nBS > 0 ? (sumB + sumS) / nBS : 0, meanS = nS > 0 ? sumS / nS : 0;
            double l1Excl = (meanAS + meanBS) / 2, l1Shared = meanS;
            double cA = nAS > 0 ? cfg.l1Excl() / 2 / nAS : 0, cB = nBS > 0 ? cfg.l1Excl() / 2 / nBS : 0, cS = nS > 0 ? cfg.l1() / nS : 0;
            for (int j = 0; j < dict; j++) {
                penalty[j] = (float) switch (p.kind(j)) {
                    case A_EXCLUSIVE -> cA;
                    case B_EXCLUSIVE -> cB;
                    case SHARED -> cA + cB + cS;
                };
            }
            terms.put("mse", mse);
            terms.put("l1_shared", l1Shared);
            terms.put("l1_exclusive", l1Excl);
            return mse + cfg.l1Excl() * l1Excl + cfg.l1() * l1Shared;
        }

        /** mean over (row, model) of ‖x_m − x̂_m‖₂; AuxK is added by the caller. */
        private double referenceLoss(CrosscoderConfig cfg, double[] rowSse, double[] sse, Map<String, Double> terms) {
            int n = rows;
            double l2 = 0;
            for (int b = 0; b < n; b++) {
                for (int m = 0; m < 2; m++) {
                    double norm = Math.sqrt(rowSse[2 * b + m]);
                    l2 += norm;
                    float g = norm > 0 ? (float) (1.0 / (norm * 2 * n)) : 0f;
                    for (int i = m * d, o = b * w; i < (m + 1) * d; i++) gx[o + i] = (recon[o + i] - x[o + i]) * g;
                }
            }
            l2 /= 2.0 * n;
            terms.put("l2", l2);
            return l2;
        }

        /** mean over rows of Σ_m ‖x_m − x̂_m‖² + λ · mean over rows of Σ_i f_i · (‖d_i^A‖ + ‖d_i^B‖). */
        private double anthropicLoss(CrosscoderConfig cfg, double[] sse, Map<String, Double> terms, float[] penalty) {
            int n = rows;
            double recErr = (sse[0] + sse[1]) / n;
            float scale = (float) (2.0 / n);
            for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
            double l1 = 0;
            for (int b = 0; b < n; b++) {
                for (int e = codes.start[b], s = e + codes.count[b]; e < s; e++) l1 += (double) codes.value[e] * codeNorm[codes.index[e]];
            }
            l1 /= n;
            for (int j = 0; j < dict; j++) penalty[j] = (float) (cfg.l1() / n * codeNorm[j]);
            terms.put("sse", recErr);
            terms.put("l1", l1);
            return recErr + cfg.l1() * l1;
        }
    }
}
