package org.dfcspark.dfc.sweep;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dfcspark.dfc.ActivationSource;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.dfc.SparseCodes;

/**
 * What a sweep's summary says about one trained crosscoder, measured on the same evaluation rows for every variant:
 * the fraction of variance unexplained per model (raw activations: Σ‖x − x̂‖² / Σ‖x − mean x‖²), the mean number of
 * active latents (L0), the share of latents that fire on none of the rows, the exclusivity check (the largest
 * |weight| where a partition forbids one, and whether it is exactly 0), and the mean A−B difference split into its
 * sources ({@link Diagnostics#meanDifference}), each part as the share of ‖Δ‖ it carries.
 */
public record VariantMetrics(int rows, double fvuA, double fvuB, double l0, double deadShare, double maxForbidden, boolean exclusiveOk,
                             double diffNorm, Map<String, Double> shares) {

    /** The parts of the decomposition, in the summary's column order. */
    public static final String[] PARTS = {"normalization", "decoder bias", "shared", "A-exclusive", "B-exclusive", "error"};

    public static VariantMetrics measure(Crosscoder cc, ActivationSource data, int batch, int threads) throws IOException {
        int d = cc.activationDim(), w = 2 * d, n = data.rows();
        double[] sum = new double[w], sumSq = new double[w];
        double errA = 0, errB = 0, active = 0;
        boolean[] fired = new boolean[cc.dictSize()];
        BatchStep step = new BatchStep(cc, threads);
        Diagnostics.MeanDifference difference = new Diagnostics.MeanDifference(cc);
        float[] buf = new float[batch * w];
        for (int start = 0; start < n; start += batch) {
            int c = Math.min(batch, n - start);
            data.readRange(start, c, buf);
            BatchStep.Encoded enc = step.encode(buf, c);
            float[] rec = enc.reconstruction();
            SparseCodes f = enc.features();
            difference.add(buf, rec, f, c);
            for (int b = 0; b < c; b++) {
                for (int i = 0; i < w; i++) {
                    double x = buf[b * w + i], e = x - rec[b * w + i];
                    sum[i] += x;
                    sumSq[i] += x * x;
                    if (i < d) errA += e * e;
                    else errB += e * e;
                }
                active += f.count(b);
                for (int e = 0; e < f.count(b); e++) fired[f.feature(b, e)] = true;
            }
        }
        double varA = 0, varB = 0;
        for (int i = 0; i < w; i++) {
            double v = sumSq[i] - sum[i] * sum[i] / n; // Σ (x − mean)²
            if (i < d) varA += v;
            else varB += v;
        }
        int dead = 0;
        for (boolean b : fired) if (!b) dead++;
        double forbidden = cc.verifyPartition();
        Diagnostics.Decomposition dec = difference.decomposition();
        Map<String, Double> shares = new LinkedHashMap<>();
        for (String p : PARTS) shares.put(p, dec.dataNorm() == 0 ? 0 : dec.carried(p) / dec.dataNorm());
        return new VariantMetrics(n, errA / varA, errB / varB, active / n, dead / (double) cc.dictSize(), forbidden, forbidden == 0,
                dec.dataNorm(), shares);
    }
}
