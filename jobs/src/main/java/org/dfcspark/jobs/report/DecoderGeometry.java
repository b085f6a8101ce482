package org.dfcspark.jobs.report;

import java.util.ArrayList;
import java.util.List;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Normalization;

/**
 * Per latent: the norms of the decoder's A and B halves in raw units (divided by the normalisation scale, so A and B
 * compare even with per-model scales), the relative norm ‖d_A‖ / (‖d_A‖ + ‖d_B‖) (the crosscoder-diffing reading:
 * 1 = A only, 0 = B only, ½ = equal) and the cosine of the two halves.
 */
final class DecoderGeometry {
    private DecoderGeometry() {}

    static List<TargetEvidence.Latent> latents(Crosscoder cc) {
        int d = cc.activationDim();
        Normalization norm = cc.config().normalization();
        float[] scale = norm == null ? null : norm.scale();
        List<TargetEvidence.Latent> out = new ArrayList<>(cc.dictSize());
        for (int j = 0; j < cc.dictSize(); j++) {
            float[] va = cc.decoderVector(j, 0), vb = cc.decoderVector(j, 1);
            double na = 0, nb = 0, dot = 0;
            for (int i = 0; i < d; i++) {
                double x = scale == null ? va[i] : va[i] / scale[i], y = scale == null ? vb[i] : vb[i] / scale[d + i];
                na += x * x;
                nb += y * y;
                dot += x * y;
            }
            na = Math.sqrt(na);
            nb = Math.sqrt(nb);
            double rel = na + nb > 0 ? na / (na + nb) : Double.NaN, cos = na > 0 && nb > 0 ? dot / (na * nb) : Double.NaN;
            out.add(new TargetEvidence.Latent(j, EvidenceStage.partitionOf(cc.partition(), j), na, nb, rel, cos));
        }
        return out;
    }
}
