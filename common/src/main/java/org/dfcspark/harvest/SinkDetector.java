package org.dfcspark.harvest;

import java.util.Arrays;

/**
 * Qwen's attention-sink positions carry residual norms orders of magnitude above the rest (often more than
 * 100x the median). A position is a sink when its norm exceeds {@code factor} times the median norm of its
 * sequence's real tokens (at the same layer, in the same model). A factor of 0 or infinity disables detection.
 */
public final class SinkDetector {
    private final double factor;

    public SinkDetector(double factor) {
        if (Double.isNaN(factor) || factor < 0) throw new IllegalArgumentException("sink factor must be >= 0, got " + factor);
        this.factor = factor;
    }

    public boolean enabled() {
        return factor > 0 && Double.isFinite(factor);
    }

    public double factor() {
        return factor;
    }

    /** Sink flags for one sequence given the norms of all its real positions. */
    public boolean[] sinks(float[] norms) {
        boolean[] out = new boolean[norms.length];
        if (!enabled() || norms.length == 0) return out;
        double threshold = factor * median(norms);
        for (int i = 0; i < norms.length; i++) out[i] = norms[i] > threshold;
        return out;
    }

    static double median(float[] values) {
        float[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * ((double) s[n / 2 - 1] + s[n / 2]);
    }
}
