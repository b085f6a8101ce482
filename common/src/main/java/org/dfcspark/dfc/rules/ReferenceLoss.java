package org.dfcspark.dfc.rules;

import java.util.Map;
import org.dfcspark.dfc.CrosscoderConfig;

/**
 * The reference implementation's loss: mean over (row, model) of ‖x_m − x̂_m‖₂ + α·AuxK, where AuxK lets the dead
 * latents reconstruct the residual (see {@link LossBatch#auxK}). No sparsity penalty: BatchTopK/TopK does that job.
 */
public final class ReferenceLoss implements LossRule {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public boolean needsDeadLatents() {
        return true;
    }

    @Override
    public boolean needsCodeNorms() {
        return true; // AuxK ranks dead latents by activation × code norm
    }

    @Override
    public double loss(LossBatch batch, CrosscoderConfig cfg, Map<String, Double> terms, float[] penalty) {
        int n = batch.rows(), d = batch.d(), w = batch.width();
        float[] x = batch.input(), recon = batch.reconstruction(), gx = batch.reconstructionGradient();
        double[] rowSse = batch.rowSse(), sse = batch.sse();
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
        double[] auxk = batch.auxK(cfg.auxkAlpha());
        terms.put("auxk", auxk[0]);
        terms.put("pre_norm_auxk", auxk[1]);
        terms.put("mse", (sse[0] + sse[1]) / (2.0 * n));
        return l2 + cfg.auxkAlpha() * auxk[0];
    }
}
