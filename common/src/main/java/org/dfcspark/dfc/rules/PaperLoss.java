package org.dfcspark.dfc.rules;

import java.util.Map;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.SparseCodes;

/**
 * The paper's loss: mse (mean over all elements) + λ_excl·(mean|f_{A∪S}| + mean|f_{B∪S}|)/2 + λ_sh·mean|f_S|;
 * a mean over an empty block is 0.
 */
public final class PaperLoss implements LossRule {
    @Override
    public String name() {
        return "paper";
    }

    @Override
    public double loss(LossBatch batch, CrosscoderConfig cfg, Map<String, Double> terms, float[] penalty) {
        int n = batch.rows(), w = batch.width(), dict = batch.dictSize();
        float[] x = batch.input(), recon = batch.reconstruction(), gx = batch.reconstructionGradient();
        double[] sse = batch.sse();
        SparseCodes codes = batch.codes();
        Partition p = batch.partition();
        double count = (double) n * w;
        double mse = (sse[0] + sse[1]) / count;
        float scale = (float) (2.0 / count);
        for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
        double sumA = 0, sumB = 0, sumS = 0;
        for (int b = 0; b < n; b++) {
            for (int e = 0, s = codes.count(b); e < s; e++) {
                switch (p.kind(codes.feature(b, e))) {
                    case A_EXCLUSIVE -> sumA += codes.value(b, e);
                    case B_EXCLUSIVE -> sumB += codes.value(b, e);
                    case SHARED -> sumS += codes.value(b, e);
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
}
