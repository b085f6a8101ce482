package org.dfcspark.toolcall.stats;

/** A point estimate with a two-sided confidence interval [lower, upper]. */
public record Interval(double estimate, double lower, double upper) implements java.io.Serializable {
    /** The same interval with every number multiplied (e.g. by 100 for percentage points). */
    public Interval scaled(double factor) {
        return new Interval(estimate * factor, lower * factor, upper * factor);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.4f [%.4f, %.4f]", estimate, lower, upper);
    }
}
