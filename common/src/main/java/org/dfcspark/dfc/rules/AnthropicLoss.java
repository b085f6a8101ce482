package org.dfcspark.dfc.rules;

import java.util.Map;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.SparseCodes;

/** Anthropic's loss: mean over rows of Σ_m ‖x_m − x̂_m‖² + λ · mean over rows of Σ_i f_i · (‖d_i^A‖ + ‖d_i^B‖). */
public final class AnthropicLoss implements LossRule {
    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public boolean needsCodeNorms() {
        return true;
    }

    /** The L1 term is weighted by the decoder norms, so it has a W_dec gradient too. */
    @Override
    public double decoderNormPenalty(CrosscoderConfig cfg) {
        return cfg.l1();
    }

    @Override
    public double loss(LossBatch batch, CrosscoderConfig cfg, Map<String, Double> terms, float[] penalty) {
        int n = batch.rows(), w = batch.width(), dict = batch.dictSize();
        float[] x = batch.input(), recon = batch.reconstruction(), gx = batch.reconstructionGradient();
        float[] codeNorm = batch.codeNorms();
        double[] sse = batch.sse();
        SparseCodes codes = batch.codes();
        double recErr = (sse[0] + sse[1]) / n;
        float scale = (float) (2.0 / n);
        for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
        double l1 = 0;
        for (int b = 0; b < n; b++) {
            for (int e = 0, s = codes.count(b); e < s; e++) l1 += (double) codes.value(b, e) * codeNorm[codes.feature(b, e)];
        }
        l1 /= n;
        for (int j = 0; j < dict; j++) penalty[j] = (float) (cfg.l1() / n * codeNorm[j]);
        terms.put("sse", recErr);
        terms.put("l1", l1);
        return recErr + cfg.l1() * l1;
    }
}
