package org.dfcspark.dfc;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.dfcspark.simd.VecOps;

/**
 * Model-diffing diagnostics of a crosscoder: where the mean A−B difference goes, and decoder-norm statistics.
 */
public final class Diagnostics {
    private Diagnostics() {}

    /**
     * The mean A−B difference of the raw reconstructions split exactly into its sources. With
     * {@code x̂_m = μ_m + (b_dec,m + Σ_i f_i·d_i,m) / s_m} (normalisation mean μ, scale s):
     * normalisation {@code μ_A − μ_B}, decoder bias {@code b_A/s_A − b_B/s_B}, shared
     * {@code mean Σ_{i∈S} f_i (d_iA/s_A − d_iB/s_B)}, A-exclusive {@code mean Σ_{i∈A} f_i d_iA/s_A}, B-exclusive
     * {@code −mean Σ_{i∈B} f_i d_iB/s_B}; plus the reconstruction error, so that all six add up to the data's mean
     * difference {@code Δ = mean(x_A − x_B)}. For each part: its norm and the amount it carries along Δ
     * ({@code ⟨part, Δ⟩/‖Δ‖}; these sum to ‖Δ‖).
     */
    public record Decomposition(int rows, double dataNorm, Map<String, double[]> parts) implements java.io.Serializable {
        public double norm(String part) {
            return Math.sqrt(dot(parts.get(part), parts.get(part)));
        }

        /** ⟨part, Δ⟩ / ‖Δ‖. */
        public double carried(String part) {
            double[] delta = parts.get("data");
            return dataNorm == 0 ? 0 : dot(parts.get(part), delta) / dataNorm;
        }

        public String report() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "mean A-B difference over %d rows (raw units): |data| = %.4g, |reconstruction| = %.4g%n",
                    rows, dataNorm, norm("reconstruction")));
            sb.append(String.format(Locale.ROOT, "  %-16s %12s %12s %8s%n", "part", "norm", "along data", "share"));
            for (String p : new String[] {"normalization", "decoder bias", "shared", "A-exclusive", "B-exclusive", "error"}) {
                double c = carried(p);
                sb.append(String.format(Locale.ROOT, "  %-16s %12.4g %12.4g %7.1f%%%n", p, norm(p), c, dataNorm == 0 ? 0 : 100 * c / dataNorm));
            }
            return sb.toString();
        }
    }

    public static Decomposition meanDifference(Crosscoder cc, ActivationSource data, int batch, int threads) throws IOException {
        MeanDifference sum = new MeanDifference(cc);
        BatchStep step = new BatchStep(cc, threads);
        float[] buf = new float[batch * cc.width];
        for (int start = 0, n = data.rows(); start < n; start += batch) {
            int c = Math.min(batch, n - start);
            data.readRange(start, c, buf);
            BatchStep.Encoded enc = step.encode(buf, c);
            sum.add(buf, enc.reconstruction(), enc.features(), c);
        }
        return sum.decomposition();
    }

    /**
     * {@link #meanDifference} summed batch by batch over rows the caller has encoded already (the sweep's metrics
     * encode their evaluation rows once for every measure).
     */
    public static final class MeanDifference {
        private final Crosscoder cc;
        private final double[] dataDiff, reconDiff;
        private final double[] activation; // Σ over rows of each feature's activation
        private int rows;

        public MeanDifference(Crosscoder cc) {
            this.cc = cc;
            dataDiff = new double[cc.d];
            reconDiff = new double[cc.d];
            activation = new double[cc.dictSize];
        }

        /** {@code n} raw rows, their raw reconstructions and their codes. */
        public void add(float[] raw, float[] recon, SparseCodes f, int n) {
            int d = cc.d, w = cc.width;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < d; i++) {
                    dataDiff[i] += (double) raw[b * w + i] - raw[b * w + d + i];
                    reconDiff[i] += (double) recon[b * w + i] - recon[b * w + d + i];
                }
                for (int e = 0; e < f.count(b); e++) activation[f.feature(b, e)] += f.value(b, e);
            }
            rows += n;
        }

        public Decomposition decomposition() {
            int d = cc.d, w = cc.width, n = rows;
            Partition p = cc.partition;
            Normalization norm = cc.config().normalization();
            float[] mean = norm == null ? new float[w] : norm.mean(), scale = norm == null ? ones(w) : norm.scale();
            double[] shared = new double[d], aExcl = new double[d], bExcl = new double[d];
            // each feature's part of the mean difference is its summed activation times its decoder's A − B (de-normalised)
            for (int j = 0; j < cc.dictSize; j++) {
                double v = activation[j];
                if (v == 0) continue;
                int row = j * w;
                switch (p.kind(j)) {
                    case SHARED -> { for (int i = 0; i < d; i++) shared[i] += v * (cc.dec[row + i] / scale[i] - cc.dec[row + d + i] / scale[d + i]); }
                    case A_EXCLUSIVE -> { for (int i = 0; i < d; i++) aExcl[i] += v * cc.dec[row + i] / scale[i]; }
                    case B_EXCLUSIVE -> { for (int i = 0; i < d; i++) bExcl[i] -= v * cc.dec[row + d + i] / scale[d + i]; }
                }
            }
            double[] data = new double[d], recon = new double[d], nrm = new double[d], bias = new double[d], err = new double[d];
            for (int i = 0; i < d; i++) {
                data[i] = dataDiff[i] / n;
                recon[i] = reconDiff[i] / n;
                shared[i] /= n;
                aExcl[i] /= n;
                bExcl[i] /= n;
                nrm[i] = (double) mean[i] - mean[d + i];
                bias[i] = (double) cc.bDec[i] / scale[i] - (double) cc.bDec[d + i] / scale[d + i];
                err[i] = data[i] - recon[i];
            }
            Map<String, double[]> parts = new LinkedHashMap<>();
            parts.put("data", data);
            parts.put("reconstruction", recon);
            parts.put("normalization", nrm);
            parts.put("decoder bias", bias);
            parts.put("shared", shared);
            parts.put("A-exclusive", aExcl);
            parts.put("B-exclusive", bExcl);
            parts.put("error", err);
            return new Decomposition(n, Math.sqrt(dot(data, data)), parts);
        }
    }

    /**
     * Decoder-norm statistics: per feature the relative norm {@code ‖d_B‖ / (‖d_A‖ + ‖d_B‖)} (0 = A only, 1 = B only;
     * features with both norms 0 are skipped), and for shared features the cosine between d_A and d_B.
     *
     * @param relNormHistogram 10 bins over [0, 1], per partition kind (index = {@link Partition.Kind#ordinal()})
     * @param cosineHistogram  10 bins over [−1, 1], shared features
     */
    public record DecoderStats(int[][] relNormHistogram, int[] cosineHistogram, double meanSharedCosine, double[] meanNorm,
                               double maxForbidden, double maxTieViolation, double[] relNorm) {
        /** Plain-crosscoder reading: relative norm < 0.1 → "A-only", > 0.9 → "B-only", else shared. */
        public static Partition.Kind classify(double relNorm) {
            if (relNorm < 0.1) return Partition.Kind.A_EXCLUSIVE;
            if (relNorm > 0.9) return Partition.Kind.B_EXCLUSIVE;
            return Partition.Kind.SHARED;
        }

        public String report() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "mean decoder norm: A %.4g, B %.4g%n", meanNorm[0], meanNorm[1]));
            sb.append("relative decoder norm |d_B|/(|d_A|+|d_B|), 10 bins over [0,1] (0 = A only):\n");
            String[] names = {"A-exclusive", "B-exclusive", "shared"};
            for (Partition.Kind k : Partition.Kind.values()) {
                sb.append(String.format(Locale.ROOT, "  %-12s %s%n", names[k.ordinal()], java.util.Arrays.toString(relNormHistogram[k.ordinal()])));
            }
            int[] cls = new int[3];
            for (double r : relNorm) if (!Double.isNaN(r)) cls[classify(r).ordinal()]++;
            sb.append(String.format(Locale.ROOT, "  relative-norm classes (<0.1 A-only, >0.9 B-only): A-only %d, B-only %d, shared %d%n", cls[0], cls[1], cls[2]));
            sb.append(String.format(Locale.ROOT, "cosine(d_A, d_B) of shared features: mean %.4f, 10 bins over [-1,1] %s%n",
                    meanSharedCosine, java.util.Arrays.toString(cosineHistogram)));
            return sb.toString();
        }
    }

    public static DecoderStats decoderStats(Crosscoder cc) {
        int d = cc.d, w = cc.width;
        Partition p = cc.partition;
        int[][] rel = new int[3][10];
        int[] cos = new int[10];
        double cosSum = 0;
        int cosCount = 0;
        double[] normSum = new double[2];
        double[] relNorm = new double[cc.dictSize];
        for (int j = 0; j < cc.dictSize; j++) {
            double na = Math.sqrt(VecOps.sumSquares(cc.dec, j * w, d)), nb = Math.sqrt(VecOps.sumSquares(cc.dec, j * w + d, d));
            normSum[0] += na;
            normSum[1] += nb;
            relNorm[j] = na + nb > 0 ? nb / (na + nb) : Double.NaN;
            if (!Double.isNaN(relNorm[j])) rel[p.kind(j).ordinal()][Math.min(9, (int) (relNorm[j] * 10))]++;
            if (p.isShared(j) && na > 0 && nb > 0) {
                double c = 0;
                for (int i = 0; i < d; i++) c += (double) cc.dec[j * w + i] * cc.dec[j * w + d + i];
                c /= na * nb;
                cos[Math.max(0, Math.min(9, (int) ((c + 1) * 5)))]++;
                cosSum += c;
                cosCount++;
            }
        }
        return new DecoderStats(rel, cos, cosCount == 0 ? Double.NaN : cosSum / cosCount,
                new double[] {normSum[0] / cc.dictSize, normSum[1] / cc.dictSize}, cc.verifyPartition(), cc.maxTieViolation(), relNorm);
    }

    private static float[] ones(int n) {
        float[] o = new float[n];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
