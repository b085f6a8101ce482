package org.dfcspark.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.dfcspark.dfc.ActivationSource;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.SparseCodes;

/**
 * Ranks crosscoder features by how well their activation separates two prompt sets (SCIENCE.md §4, "Steering":
 * tool prompts vs generic text), with Cohen's d on the pooled standard deviation:
 * {@code d = (mean_pos − mean_neg) / sqrt(((n_pos−1)·s²_pos + (n_neg−1)·s²_neg) / (n_pos + n_neg − 2))}.
 * A feature's activation is 0 on rows where it is not selected. The statistics are streamed (sums per feature),
 * so a large dictionary over many rows needs no dense code matrix. AUROC (the Mann–Whitney statistic, ties ½) needs
 * the values themselves; {@link SparseValues} keeps only the non-zero ones per feature (TopK codes are mostly zero)
 * and counts the zeros.
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

    /** The non-zero activations of every feature over one set of rows (zeros are implied: rows − count). */
    public record SparseValues(int rows, float[][] nonZero) {
        public double mean(int j) {
            double sum = 0;
            for (float v : nonZero[j]) sum += v;
            return rows == 0 ? 0 : sum / rows;
        }

        /** Sample variance (n − 1), zeros included. */
        public double variance(int j) {
            if (rows < 2) return 0;
            double m = mean(j), ss = (rows - nonZero[j].length) * m * m;
            for (float v : nonZero[j]) ss += (v - m) * (v - m);
            return ss / (rows - 1);
        }

        public double activeFraction(int j) {
            return rows == 0 ? 0 : (double) nonZero[j].length / rows;
        }
    }

    /** Encodes every row of {@code src} and keeps each feature's non-zero activations. */
    public static SparseValues values(Crosscoder cc, ActivationSource src, int batch, int threads) throws IOException {
        int dict = cc.dictSize(), w = 2 * cc.activationDim(), n = src.rows();
        float[][] vals = new float[dict][8];
        int[] count = new int[dict];
        BatchStep step = new BatchStep(cc, threads);
        float[] buf = new float[batch * w];
        for (int start = 0; start < n; start += batch) {
            int c = Math.min(batch, n - start);
            src.readRange(start, c, buf);
            SparseCodes f = step.encode(buf, c).features();
            for (int b = 0; b < c; b++) {
                for (int e = 0; e < f.count(b); e++) {
                    int j = f.feature(b, e);
                    float v = f.value(b, e);
                    if (v == 0) continue;
                    if (count[j] == vals[j].length) vals[j] = java.util.Arrays.copyOf(vals[j], 2 * count[j]);
                    vals[j][count[j]++] = v;
                }
            }
        }
        for (int j = 0; j < dict; j++) vals[j] = java.util.Arrays.copyOf(vals[j], count[j]);
        return new SparseValues(n, vals);
    }

    /**
     * AUROC of positives vs negatives = P(X_pos > X_neg) + ½·P(X_pos = X_neg) (Mann–Whitney U / (n_pos·n_neg)), from
     * the non-zero values of each set; the remaining {@code n − nonZero.length} values of each set are 0. O(m log m)
     * in the non-zeros m.
     */
    public static double auroc(float[] posNonZero, int nPos, float[] negNonZero, int nNeg) {
        if (nPos < 1 || nNeg < 1) throw new IllegalArgumentException("AUROC needs both sets non-empty, got " + nPos + " and " + nNeg);
        if (posNonZero.length > nPos || negNonZero.length > nNeg) throw new IllegalArgumentException("more non-zero values than rows");
        double[] pos = sortedWithZeros(posNonZero), neg = sortedWithZeros(negNonZero);
        long zeroPos = nPos - posNonZero.length, zeroNeg = nNeg - negNonZero.length;
        // U counts, for each positive value, the negatives below it plus half the negatives equal to it. Zeros of both
        // sets are equal values; the non-zero values are merged with two pointers.
        double u = 0;
        int below = 0, equalEnd = 0;
        for (double p : pos) {
            while (below < neg.length && neg[below] < p) below++;
            equalEnd = Math.max(equalEnd, below);
            while (equalEnd < neg.length && neg[equalEnd] == p) equalEnd++;
            long negBelow = below + (p > 0 ? zeroNeg : 0);
            long negEqual = (equalEnd - below) + (p == 0 ? zeroNeg : 0);
            u += negBelow + 0.5 * negEqual;
        }
        // positives that are 0: no negative below (activations are >= 0), the negative zeros tie
        u += zeroPos * (countBelow(neg, 0) + 0.5 * (zeroNeg + countEqual(neg, 0)));
        return u / ((double) nPos * nNeg);
    }

    /** AUROC of two dense samples (same rule). */
    public static double auroc(double[] pos, double[] neg) {
        float[] p = new float[pos.length], q = new float[neg.length];
        for (int i = 0; i < pos.length; i++) p[i] = (float) pos[i];
        for (int i = 0; i < neg.length; i++) q[i] = (float) neg[i];
        return auroc(p, pos.length, q, neg.length);
    }

    /** One feature's separation of tool (positive) and generic (negative) rows. */
    public record Scored(int feature, double cohensD, double auroc, double meanPositive, double meanNegative,
                         double activePositive, double activeNegative) implements java.io.Serializable {}

    /** Every feature of {@code group}, by Cohen's d (the paper's rule), largest first, with its AUROC. */
    public static List<Scored> score(SparseValues pos, SparseValues neg, Partition partition, FeatureGroup group) {
        if (pos.nonZero().length != partition.dictSize() || neg.nonZero().length != partition.dictSize()) {
            throw new IllegalArgumentException("the activations do not come from a dictionary of " + partition.dictSize());
        }
        List<Scored> out = new ArrayList<>();
        for (int j = group.from(partition); j < group.to(partition); j++) {
            double d = cohensD(pos.mean(j), pos.variance(j), pos.rows(), neg.mean(j), neg.variance(j), neg.rows());
            out.add(new Scored(j, d, auroc(pos.nonZero()[j], pos.rows(), neg.nonZero()[j], neg.rows()), pos.mean(j), neg.mean(j),
                    pos.activeFraction(j), neg.activeFraction(j)));
        }
        out.sort(Comparator.comparingDouble(Scored::cohensD).reversed().thenComparingInt(Scored::feature));
        return out;
    }

    /** The first {@code n} tool-signed features (Cohen's d > 0) of a ranking, in its order. */
    public static List<Integer> topToolSigned(List<Scored> ranking, int n) {
        List<Integer> out = new ArrayList<>();
        for (Scored s : ranking) if (s.cohensD() > 0 && out.size() < n) out.add(s.feature());
        return out;
    }

    private static double[] sortedWithZeros(float[] nonZero) {
        double[] v = new double[nonZero.length];
        for (int i = 0; i < v.length; i++) {
            if (!(nonZero[i] >= 0)) throw new IllegalArgumentException("activations must be >= 0 (ReLU codes), got " + nonZero[i]);
            v[i] = nonZero[i];
        }
        java.util.Arrays.sort(v);
        return v;
    }

    private static long countBelow(double[] sorted, double x) {
        long c = 0;
        for (double v : sorted) if (v < x) c++;
        return c;
    }

    private static long countEqual(double[] sorted, double x) {
        long c = 0;
        for (double v : sorted) if (v == x) c++;
        return c;
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
