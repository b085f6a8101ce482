package org.dfcspark.dfc;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Per-model input statistics owned by the crosscoder: {@code normalised = (raw − mean) · scale}, applied at encode
 * and inverted at decode ({@code raw = normalised / scale + mean}), so a crosscoder always takes raw model
 * activations and gives raw reconstructions. Stored as {@code (2, d)} arrays (model-major) in config.json.
 *
 * <ul>
 *   <li>{@code scalar}: centre on the mean and one scale per model, {@code scale = targetRms / sqrt(Σ_i var_i + 1e-8)}
 *   (the reference's {@code keep_relative_variance} rule; variance Bessel-corrected); with the default
 *   {@code targetRms = √d} the mean squared norm of a normalised vector is d.</li>
 *   <li>{@code zscore}: per channel, {@code scale_i = 1 / max(std_i, 1e-6)} (the paper's cache.py rule).</li>
 * </ul>
 * With {@code shared = true} (used with tied decoders) both models get the same statistics, pooled over both, so the
 * normalisation itself cannot absorb an A−B difference.
 */
public final class Normalization {

    public enum Scheme {
        SCALAR, ZSCORE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Scheme parse(String s) {
            for (Scheme v : values()) if (v.id().equals(s)) return v;
            throw new IllegalArgumentException("unknown normalisation '" + s + "' (expected none, scalar or zscore)");
        }
    }

    private final Scheme scheme;
    private final boolean shared;
    private final int d;
    private final float[] mean;
    private final float[] scale;

    public Normalization(Scheme scheme, boolean shared, int d, float[] mean, float[] scale) {
        if (mean.length != 2 * d || scale.length != 2 * d) {
            throw new IllegalArgumentException("normalisation statistics must have 2×" + d + " values, got "
                    + mean.length + " means and " + scale.length + " scales");
        }
        for (int i = 0; i < 2 * d; i++) {
            if (!Float.isFinite(mean[i]) || !Float.isFinite(scale[i]) || !(scale[i] > 0)) {
                throw new IllegalArgumentException("normalisation statistics at model " + (i / d) + ", channel " + (i % d)
                        + " are not usable (mean " + mean[i] + ", scale " + scale[i] + ")");
            }
        }
        this.scheme = scheme;
        this.shared = shared;
        this.d = d;
        this.mean = mean.clone();
        this.scale = scale.clone();
    }

    public Scheme scheme() {
        return scheme;
    }

    public boolean shared() {
        return shared;
    }

    public int dim() {
        return d;
    }

    /** {@code (2, d)} means, model-major. */
    public float[] mean() {
        return mean.clone();
    }

    /** {@code (2, d)} scales, model-major. */
    public float[] scale() {
        return scale.clone();
    }

    /** The same statistics (so the same normalised rows): lockstep learners that agree normalise a batch once. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && scheme == n.scheme && shared == n.shared && d == n.d
                && Arrays.equals(mean, n.mean) && Arrays.equals(scale, n.scale);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(scale);
    }

    /** In place: rows of 2d raw values become normalised. */
    public void normalize(float[] rows, int count) {
        int w = 2 * d;
        for (int r = 0; r < count; r++) {
            int o = r * w;
            for (int i = 0; i < w; i++) rows[o + i] = (rows[o + i] - mean[i]) * scale[i];
        }
    }

    /** In place: rows of 2d normalised values become raw. */
    public void denormalize(float[] rows, int count) {
        int w = 2 * d;
        for (int r = 0; r < count; r++) {
            int o = r * w;
            for (int i = 0; i < w; i++) rows[o + i] = rows[o + i] / scale[i] + mean[i];
        }
    }

    /**
     * Statistics of a data set (every finite row; rows with NaN/Inf are skipped). Two passes in double precision.
     *
     * @param targetRms for {@code scalar}: the norm a normalised vector has on average; NaN means √d
     */
    public static Normalization fit(ActivationSource src, Scheme scheme, boolean shared, double targetRms) throws IOException {
        int d = src.dim(), w = 2 * d, n = src.rows();
        double[] sum = new double[w];
        long used = scan(src, (row) -> { for (int i = 0; i < w; i++) sum[i] += row[i]; });
        if (used < 2) throw new IllegalArgumentException(src.describe() + ": needs at least 2 finite rows to compute normalisation statistics, found " + used);
        double[] mu = new double[w];
        for (int i = 0; i < w; i++) mu[i] = sum[i] / used;
        if (shared) poolHalves(mu, d);
        double[] sq = new double[w];
        scan(src, (row) -> { for (int i = 0; i < w; i++) { double c = row[i] - mu[i]; sq[i] += c * c; } });
        double[] var = new double[w];
        for (int i = 0; i < w; i++) var[i] = sq[i] / (used - 1);
        if (shared) poolHalves(var, d);
        return fromMoments(scheme, shared, d, mu, var, Double.isNaN(targetRms) ? Math.sqrt(d) : targetRms);
    }

    /** Builds the statistics from per-channel means and (Bessel-corrected) variances. */
    public static Normalization fromMoments(Scheme scheme, boolean shared, int d, double[] mu, double[] var, double targetRms) {
        int w = 2 * d;
        float[] mean = new float[w], scale = new float[w];
        for (int i = 0; i < w; i++) mean[i] = (float) mu[i];
        if (scheme == Scheme.SCALAR) {
            for (int m = 0; m < 2; m++) {
                double total = 0;
                // Sum of the float32 variances, as the reference does with its float32 std.
                for (int i = 0; i < d; i++) { float std = (float) Math.sqrt(var[m * d + i]); total += (double) std * std; }
                float s = (float) (targetRms / Math.sqrt(total + 1e-8));
                Arrays.fill(scale, m * d, (m + 1) * d, s);
            }
        } else {
            for (int i = 0; i < w; i++) scale[i] = 1f / Math.max((float) Math.sqrt(var[i]), 1e-6f);
        }
        return new Normalization(scheme, shared, d, mean, scale);
    }

    private static void poolHalves(double[] v, int d) {
        for (int i = 0; i < d; i++) {
            double p = (v[i] + v[d + i]) / 2;
            v[i] = p;
            v[d + i] = p;
        }
    }

    private interface RowVisitor {
        void visit(float[] row);
    }

    private static long scan(ActivationSource src, RowVisitor visitor) throws IOException {
        int w = 2 * src.dim(), n = src.rows(), chunk = Math.max(1, Math.min(n, (1 << 22) / w));
        float[] buf = new float[chunk * w];
        float[] row = new float[w];
        long used = 0;
        for (int start = 0; start < n; start += chunk) {
            int c = Math.min(chunk, n - start);
            src.readRange(start, c, buf);
            rows:
            for (int r = 0; r < c; r++) {
                System.arraycopy(buf, r * w, row, 0, w);
                for (float v : row) if (!Float.isFinite(v)) continue rows;
                visitor.visit(row);
                used++;
            }
        }
        return used;
    }
}
