package org.dfcspark.simd;

/**
 * The inner loops of the sparse kernels. With the JDK Vector API available ({@code --add-modules
 * jdk.incubator.vector}, set by bin/dfc and the test JVM) they run as {@link SimdOps}; otherwise as the scalar loops
 * below. Either way the summation order is fixed, so results are deterministic for a given JVM configuration.
 */
public final class VecOps {
    /** True when the Vector API module is present in this JVM. */
    public static final boolean SIMD = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("dfc.noSimd");

    private VecOps() {}

    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return SIMD ? SimdOps.dot(a, ao, b, bo, n) : scalarDot(a, ao, b, bo, n);
    }

    /** {@code y = alpha·x} over n values: what {@link #axpy} gives on zeros (up to the sign of a zero), without reading y. */
    public static void scale(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        if (SIMD) {
            SimdOps.scale(alpha, x, xo, y, yo, n);
            return;
        }
        for (int i = 0; i < n; i++) y[yo + i] = alpha * x[xo + i];
    }

    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        if (SIMD) SimdOps.axpy(alpha, x, xo, y, yo, n);
        else scalarAxpy(alpha, x, xo, y, yo, n);
    }

    /**
     * {@code y[yo + i] (=|+=) Σ_a coef[entry[a]] · x[row[a]·ldx + xo + i]} over a in [from, to), for i < n, in the
     * order a goes: what {@link #scale} for the first a (when {@code first}) and {@link #axpy} for each next one give,
     * the same bits, with the sums kept in registers rather than stored and loaded again per term (a feature's
     * gradient row over the batch rows it fired in).
     */
    public static void sumRows(float[] coef, int[] entry, int[] row, int from, int to, float[] x, int xo, int ldx, float[] y, int yo, int n,
                               boolean first) {
        if (SIMD) {
            SimdOps.sumRows(coef, entry, row, from, to, x, xo, ldx, y, yo, n, first);
            return;
        }
        for (int a = from; a < to; a++, first = false) {
            if (first) scale(coef[entry[a]], x, row[a] * ldx + xo, y, yo, n);
            else scalarAxpy(coef[entry[a]], x, row[a] * ldx + xo, y, yo, n);
        }
    }

    /** The largest of v[from .. from + n) (NaN if any is NaN; −∞ when n = 0). */
    public static float max(float[] v, int from, int n) {
        if (SIMD) return SimdOps.max(v, from, n);
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) m = Math.max(m, v[i]);
        return m;
    }

    /** How many of v[from .. to) are greater than t (NaN never is): cheaper than {@link #collectGreater}'s hits. */
    public static int countGreater(float[] v, int from, int to, float t) {
        if (SIMD) return SimdOps.countGreater(v, from, to, t);
        int n = 0;
        for (int i = from; i < to; i++) n += v[i] > t ? 1 : 0;
        return n;
    }

    /**
     * Writes the offsets i − from of every i in [from, to) with v[i] > t into {@code index} and v[i] into {@code value},
     * ascending, and returns how many (both need room for to − from). The candidates of the top-k selection: one
     * compare per vector, one step per hit. Stops early once more than {@code limit} are written, and then returns
     * a count above {@code limit} (how many it wrote).
     */
    public static int collectGreater(float[] v, int from, int to, float t, int[] index, float[] value, int limit) {
        if (SIMD) return SimdOps.collectGreater(v, from, to, t, index, value, limit);
        int n = 0;
        for (int i = from; i < to && n <= limit; i++) {
            if (v[i] > t) {
                index[n] = i - from;
                value[n++] = v[i];
            }
        }
        return n;
    }

    /**
     * The k-th largest of a[0..n), 1 ≤ k ≤ n, all positive (+∞ allowed, no NaN). {@code a} needs room for n rounded
     * up to a multiple of {@link #LANES}; the values stay where they are.
     */
    public static float kthLargestPositive(float[] a, int n, int k) {
        if (SIMD) return SimdOps.kthLargestPositive(a, n, k);
        float[] work = java.util.Arrays.copyOf(a, n);
        java.util.Arrays.sort(work);
        return work[n - k];
    }

    /** True where {@link #panelProduct} runs 8-row passes on 512-bit vectors: there it beats libtorch's BLAS on large
     *  products (about twice its rate on this project's AMD machine, whose MKL keeps to 256-bit kernels). */
    public static final boolean WIDE = SIMD && SimdOps.ROW_BLOCK == 8;

    /** Floats per vector (1 without the Vector API). */
    public static final int LANES = SIMD ? SimdOps.PANEL / 2 : 1;

    /** Outputs per panel of {@link #panelProduct}: two vectors (16 floats with AVX2, 32 with AVX-512; 16 in scalar). */
    public static final int PANEL = SIMD ? SimdOps.PANEL : 16;

    /**
     * {@code y[r·ldy + yo + j] = Σ_i x[r·in + i]·panel[po + i·PANEL + j]} for rows r < {@code rows} and the
     * {@code width} ≤ PANEL first outputs j of one panel: a weight block stored transposed as (in, PANEL), zero
     * padded, over the rows of x that start at {@code xo}. The panel is read once per four rows, the partial sums
     * stay in registers; {@code sums} is the caller's scratch of at least rows × PANEL floats.
     */
    public static void panelProduct(float[] panel, int po, int in, float[] x, int xo, int rows, float[] y, int yo, int ldy, int width,
                                    float[] sums) {
        if (SIMD) SimdOps.panelProduct(panel, po, in, x, xo, rows, y, yo, ldy, width, sums);
        else scalarPanelProduct(panel, po, in, x, xo, rows, y, yo, ldy, width);
    }

    public static void scalarPanelProduct(float[] panel, int po, int in, float[] x, int rows, float[] y, int yo, int ldy, int width) {
        scalarPanelProduct(panel, po, in, x, 0, rows, y, yo, ldy, width);
    }

    private static void scalarPanelProduct(float[] panel, int po, int in, float[] x, int xo, int rows, float[] y, int yo, int ldy, int width) {
        float[] acc = new float[PANEL];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int i = 0; i < in; i++) {
                float a = x[xo + r * in + i];
                int w = po + i * PANEL;
                for (int j = 0; j < PANEL; j++) acc[j] += a * panel[w + j];
            }
            System.arraycopy(acc, 0, y, r * ldy + yo, width);
        }
    }

    /** Σ exp(a[i] − shift) over i in [from, from + n); with {@code store}, each a[i] becomes exp(a[i] − shift). */
    public static float expShifted(float[] a, int from, int n, float shift, boolean store) {
        return SIMD ? SimdOps.expShifted(a, from, n, shift, store) : scalarExpShifted(a, from, n, shift, store);
    }

    public static float scalarExpShifted(float[] a, int from, int n, float shift, boolean store) {
        float s = 0f;
        for (int i = from; i < from + n; i++) {
            float e = (float) Math.exp(a[i] - shift);
            if (store) a[i] = e;
            s += e;
        }
        return s;
    }

    /** gate[i] = SiLU(gate[i]) · up[i] = gate[i] / (1 + exp(−gate[i])) · up[i] for i < n (the SwiGLU product). */
    public static void siluMul(float[] gate, float[] up, int n) {
        if (SIMD) SimdOps.siluMul(gate, up, n);
        else scalarSiluMul(gate, up, n);
    }

    public static void scalarSiluMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) gate[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
    }

    /** Σ a[ao+i]·b[bo+i] for i < n, with eight independent partial sums. */
    public static float scalarDot(float[] a, int ao, float[] b, int bo, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
            s4 += a[ao + i + 4] * b[bo + i + 4];
            s5 += a[ao + i + 5] * b[bo + i + 5];
            s6 += a[ao + i + 6] * b[bo + i + 6];
            s7 += a[ao + i + 7] * b[bo + i + 7];
        }
        for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** y[yo+i] += alpha · x[xo+i] for i < n. */
    public static void scalarAxpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** Σ (a[ao+i] − b[bo+i])² with the differences and sums in double, in a fixed order (as {@link #sumSquares}). */
    public static double sumSquaredDifferences(float[] a, int ao, float[] b, int bo, int n) {
        if (SIMD) return SimdOps.sumSquaredDifferences(a, ao, b, bo, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double e = (double) a[ao + i] - b[bo + i];
            s += e * e;
        }
        return s;
    }

    /** Σ (x[xo+i] − mean[mo+i])² in double, in a fixed order (as {@link #sumSquares}). */
    public static double sumSquaredDeviations(float[] x, int xo, double[] mean, int mo, int n) {
        if (SIMD) return SimdOps.sumSquaredDeviations(x, xo, mean, mo, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double c = x[xo + i] - mean[mo + i];
            s += c * c;
        }
        return s;
    }

    /** Σ x[xo+i]² in double, in a fixed order (partial sums per vector lane with the Vector API). */
    public static double sumSquares(float[] x, int xo, int n) {
        if (SIMD) return SimdOps.sumSquares(x, xo, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /**
     * One step of {@code torch.optim.Adam} (no weight decay) on p[off, off + len), the gradient scaled by
     * {@code coef} (clipping): m ← m + (g − m)(1 − β1); v ← β2·v + (1 − β2)·g²; p ← p − step · m / (√v / √(1 − β2ᵗ) + ε),
     * with {@code stepSize} = lr / (1 − β1ᵗ); the gradient of p[i] is g[i + gShift] (a shift
     * other than 0: a block of zeros standing in for gradients known to be zero). The same bits with or without the
     * Vector API.
     */
    public static void adam(float[] p, float[] m, float[] v, float[] g, int gShift, int off, int len, float coef, float oneMinusB1, float b2,
                            float oneMinusB2, float stepSize, float b2c, float eps) {
        if (SIMD) SimdOps.adam(p, m, v, g, gShift, off, len, coef, oneMinusB1, b2, oneMinusB2, stepSize, b2c, eps);
        else scalarAdam(p, m, v, g, gShift, off, len, coef, oneMinusB1, b2, oneMinusB2, stepSize, b2c, eps);
    }

    public static void scalarAdam(float[] p, float[] m, float[] v, float[] g, int gShift, int off, int len, float coef, float oneMinusB1, float b2,
                                  float oneMinusB2, float stepSize, float b2c, float eps) {
        for (int i = off, end = off + len; i < end; i++) {
            float gi = g[i + gShift] * coef;
            float mi = m[i] + (gi - m[i]) * oneMinusB1;       // exp_avg.lerp_(grad, 1 - beta1)
            float vi = v[i] * b2 + oneMinusB2 * gi * gi;      // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
            m[i] = mi;
            v[i] = vi;
            p[i] -= stepSize * (mi / ((float) Math.sqrt(vi) / b2c + eps));
        }
    }
}
