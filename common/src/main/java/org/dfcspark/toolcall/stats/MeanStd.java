package org.dfcspark.toolcall.stats;

import java.util.Locale;

/**
 * Mean and SAMPLE standard deviation (n - 1) across runs: how the paper reports its sweep
 * ("A +31.17 ± 9.75 pp over 47 runs").
 */
public record MeanStd(int n, double mean, double std) implements java.io.Serializable {
    public static MeanStd of(double[] values) {
        int n = values.length;
        if (n == 0) throw new IllegalArgumentException("mean ± std of no values");
        double mean = 0;
        for (double v : values) mean += v;
        mean /= n;
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        double std = n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN;
        return new MeanStd(n, mean, std);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%+.2f ± %.2f (n=%d)", mean, std, n);
    }
}
