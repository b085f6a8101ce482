package org.dfcspark.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.dfcspark.dfc.ActivationSource;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.SparseCodes;

/**
 * Ranks crosscoder features by how well their activation separates two prompt sets (SCIENCE.md §4, "Steering":
 * tool prompts vs generic text), with Cohen's d on the pooled standard deviation:
 * {@code d = (mean_pos − mean_neg) / sqrt(((n_pos−1)·s²_pos + (n_neg−1)·s²_neg) / (n_pos + n_neg − 2))}.
 * A feature's activation is 0 on rows where it is not selected. The statistics are streamed (sums per feature),
 * so a large dictionary over many rows needs no dense code matrix.
 */
public final class FeatureRanking {
    private FeatureRanking() {}

    /** One feature's separation of the two sets; {@code active*} = fraction of rows where it is > 0. */
    public record Ranked(int feature, double cohensD, double meanPositive, double meanNegative, double activePositive,
                         double activeNegative) {}

    /** Per-feature activation sums over one set of rows. */
    public record GroupStats(int rows, double[] sum, double[] sumSq, long[] active) {
        public double mean(int j) {
            return rows == 0 ? 0 : sum[j] / rows;
        }

        /** Sample variance (n − 1). */
        public double variance(int j) {
            if (rows < 2) return 0;
            return Math.max(0, (sumSq[j] - sum[j] * sum[j] / rows) / (rows - 1));
        }

        public double activeFraction(int j) {
            return rows == 0 ? 0 : (double) active[j] / rows;
        }
    }

    /** Encodes every row of {@code src} (raw activations, the crosscoder's own normalisation) and sums per feature. */
    public static GroupStats stats(Crosscoder cc, ActivationSource src, int batch, int threads) throws IOException {
        int dict = cc.dictSize(), w = 2 * cc.activationDim(), n = src.rows();
        double[] sum = new double[dict], sumSq = new double[dict];
        long[] active = new long[dict];
        BatchStep step = new BatchStep(cc, threads);
        float[] buf = new float[batch * w];
        for (int start = 0; start < n; start += batch) {
            int c = Math.min(batch, n - start);
            src.readRange(start, c, buf);
            SparseCodes f = step.encode(buf, c).features();
            for (int b = 0; b < c; b++) {
                for (int e = 0; e < f.count(b); e++) {
                    int j = f.feature(b, e);
                    double v = f.value(b, e);
                    sum[j] += v;
                    sumSq[j] += v * v;
                    if (v > 0) active[j]++;
                }
            }
        }
        return new GroupStats(n, sum, sumSq, active);
    }

    /**
     * Cohen's d with the pooled standard deviation. Equal means give 0 (also when both sets are constant); different
     * means with zero spread give ±infinity.
     */
    public static double cohensD(double meanPos, double varPos, int nPos, double meanNeg, double varNeg, int nNeg) {
        if (nPos < 1 || nNeg < 1 || nPos + nNeg < 3) throw new IllegalArgumentException("Cohen's d needs n_pos, n_neg >= 1 and 3 rows in all, got "
                + nPos + " and " + nNeg);
        double diff = meanPos - meanNeg;
        if (diff == 0) return 0;
        double pooled = Math.sqrt(((nPos - 1) * varPos + (nNeg - 1) * varNeg) / (nPos + nNeg - 2));
        return pooled == 0 ? Math.copySign(Double.POSITIVE_INFINITY, diff) : diff / pooled;
    }

    /** Cohen's d of two samples. */
    public static double cohensD(double[] pos, double[] neg) {
        return cohensD(mean(pos), variance(pos), pos.length, mean(neg), variance(neg), neg.length);
    }

    /** Features {@code [from, to)} (e.g. the A-exclusive block), by Cohen's d of positive vs negative, largest first. */
    public static List<Ranked> rank(GroupStats pos, GroupStats neg, int from, int to) {
        if (pos.sum().length != neg.sum().length) throw new IllegalArgumentException("the two sets come from different dictionaries");
        if (from < 0 || to > pos.sum().length || from > to) throw new IllegalArgumentException("feature range [" + from + ", " + to + ") is outside 0.." + pos.sum().length);
        List<Ranked> out = new ArrayList<>();
        for (int j = from; j < to; j++) {
            double d = cohensD(pos.mean(j), pos.variance(j), pos.rows(), neg.mean(j), neg.variance(j), neg.rows());
            out.add(new Ranked(j, d, pos.mean(j), neg.mean(j), pos.activeFraction(j), neg.activeFraction(j)));
        }
        out.sort(Comparator.comparingDouble(Ranked::cohensD).reversed().thenComparingInt(Ranked::feature));
        return out;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    private static double variance(double[] x) {
        if (x.length < 2) return 0;
        double m = mean(x), s = 0;
        for (double v : x) s += (v - m) * (v - m);
        return s / (x.length - 1);
    }
}
