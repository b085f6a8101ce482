package org.dfcspark.toolcall.stats;

/** Student's t distribution: CDF through the regularized incomplete beta function, quantile by bisection. */
public final class StudentT {
    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7};

    private StudentT() {}

    /** P(T <= t) for T ~ t(df). */
    public static double cdf(double t, double df) {
        if (df <= 0) throw new IllegalArgumentException("degrees of freedom must be > 0, got " + df);
        double x = df / (df + t * t);
        double tail = 0.5 * regularizedBeta(x, df / 2.0, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** The p-quantile of t(df), 0 < p < 1 (e.g. 0.975 for a two-sided 95% interval). */
    public static double quantile(double p, double df) {
        if (!(p > 0 && p < 1)) throw new IllegalArgumentException("quantile needs 0 < p < 1, got " + p);
        if (p < 0.5) return -quantile(1 - p, df);
        double lo = 0;
        double hi = 1;
        while (cdf(hi, df) < p) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, hi); i++) {
            double mid = 0.5 * (lo + hi);
            if (cdf(mid, df) < p) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /** I_x(a, b) by the continued fraction (Lentz), using the symmetry for fast convergence. */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
        if (x < (a + 1) / (a + b + 2)) return front * betaContinuedFraction(x, a, b) / a;
        return 1 - front * betaContinuedFraction(1 - x, b, a) / b;
    }

    private static double betaContinuedFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        if (Math.abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 10000; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return h;
    }

    /** ln Γ(x) for x > 0 (Lanczos, g = 7). */
    static double logGamma(double x) {
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        x -= 1;
        double a = LANCZOS[0];
        double t = x + 7.5;
        for (int i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (x + i);
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }
}
