package org.dfcspark.toolcall.stats;

/** Success rates with Wilson score intervals (good coverage at small n and at rates near 0 or 1). */
public final class RateStats {
    /** Two-sided 95% standard-normal quantile. */
    public static final double Z95 = 1.959963984540054;

    private RateStats() {}

    /** k successes out of n: rate k/n with its 95% Wilson score interval. */
    public static Interval wilson(long k, long n) {
        return wilson(k, n, Z95);
    }

    /** The rate of true outcomes (e.g. per-prompt verdicts) with its 95% Wilson interval. */
    public static Interval wilson(boolean[] outcomes) {
        long k = 0;
        for (boolean o : outcomes) if (o) k++;
        return wilson(k, outcomes.length);
    }

    public static Interval wilson(long k, long n, double z) {
        if (n <= 0) throw new IllegalArgumentException("a rate needs n > 0 trials, got n = " + n);
        if (k < 0 || k > n) throw new IllegalArgumentException("successes must be in [0, n], got k = " + k + ", n = " + n);
        double p = (double) k / n;
        double z2 = z * z;
        double denom = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
        return new Interval(p, Math.max(0.0, centre - half), Math.min(1.0, centre + half));
    }
}
