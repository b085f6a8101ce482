package org.dfcspark.toolcall.stats;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The difference between two conditions measured on the same prompts (patched vs clean, steered vs
 * baseline): per-prompt differences d_i = treated_i - control_i, their mean, a paired-t 95% interval, and a
 * seeded percentile-bootstrap 95% interval (prompts resampled with replacement).
 *
 * @param n             number of paired prompts
 * @param meanDiff      mean of d
 * @param sdDiff        sample standard deviation of d
 * @param pairedT       mean ± t(0.975, n-1) · sd / √n
 * @param bootstrap     2.5th and 97.5th percentiles (linear interpolation, as numpy) of resampled means
 * @param resamples     bootstrap resamples drawn
 * @param seed          bootstrap seed
 */
public record PairedDifference(int n, double meanDiff, double sdDiff, Interval pairedT, Interval bootstrap,
                               int resamples, long seed) implements java.io.Serializable {
    public static final int DEFAULT_RESAMPLES = 10_000;

    public static PairedDifference of(double[] treated, double[] control, int resamples, long seed) {
        if (treated.length != control.length) {
            throw new IllegalArgumentException("paired conditions need the same prompts: " + treated.length
                    + " vs " + control.length + " values");
        }
        int n = treated.length;
        if (n < 2) throw new IllegalArgumentException("a paired difference needs at least 2 prompts, got " + n);
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = treated[i] - control[i];
        MeanStd ms = MeanStd.of(d);
        double half = StudentT.quantile(0.975, n - 1) * ms.std() / Math.sqrt(n);
        Interval t = new Interval(ms.mean(), ms.mean() - half, ms.mean() + half);

        SplittableRandom rnd = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += d[rnd.nextInt(n)];
            means[r] = sum / n;
        }
        Arrays.sort(means);
        Interval boot = new Interval(ms.mean(), percentile(means, 0.025), percentile(means, 0.975));
        return new PairedDifference(n, ms.mean(), ms.std(), t, boot, resamples, seed);
    }

    /** Correct (1) / wrong (0) per prompt, e.g. strict-scorer verdicts of the two conditions. */
    public static PairedDifference of(boolean[] treated, boolean[] control, int resamples, long seed) {
        return of(toDouble(treated), toDouble(control), resamples, seed);
    }

    private static double[] toDouble(boolean[] b) {
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) d[i] = b[i] ? 1 : 0;
        return d;
    }

    /** numpy.percentile's default (linear) on sorted data. */
    static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
