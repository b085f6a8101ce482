package org.dfcspark.model;

/**
 * A linear layer {@code y = x·Wᵀ + b} packed once for products with few rows (a decode step: one row per sequence).
 *
 * <p>HF keeps a weight as (out, in). Here it is cut into panels of {@link #PANEL} outputs, each stored transposed
 * and contiguous as (in, width): one product streams the weights from memory exactly once, in order, for all rows,
 * while the rows' partial sums for one panel stay in L1. The inner loop, {@code acc[j] += x·w[j]} over a panel row,
 * is one HotSpot's C2 vectorises; nothing here needs native code or incubator modules.
 */
final class PackedLinear {
    /** Outputs per panel: 64 floats (8 AVX2 vectors) per row keep 64 rows' sums within 16 KB. */
    static final int PANEL = 64;

    private final int in;
    private final int out;
    private final float[] panels;
    private final float[] bias;

    /**
     * @param weight (out, in) row-major, HF layout
     * @param bias   out values, or null
     */
    PackedLinear(float[] weight, float[] bias, int out, int in) {
        if (weight.length != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.length + " values, expected " + out + " x " + in);
        }
        if (bias != null && bias.length != out) throw new IllegalArgumentException("bias has " + bias.length + " values, expected " + out);
        this.in = in;
        this.out = out;
        this.bias = bias == null ? null : bias.clone();
        this.panels = new float[weight.length];
        for (int o0 = 0; o0 < out; o0 += PANEL) {
            int width = Math.min(PANEL, out - o0), base = o0 * in;
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < width; j++) panels[base + i * width + j] = weight[(o0 + j) * in + i];
            }
        }
    }

    int in() {
        return in;
    }

    int out() {
        return out;
    }

    /** Scratch {@link #apply} needs for {@code rows} rows. */
    static float[] scratch(int rows) {
        return new float[rows * PANEL];
    }

    /** {@code y[r·out + o] = bias[o] + Σ_i x[r·in + i]·W[o, i]} for every row r below {@code rows}. */
    void apply(float[] x, int rows, float[] y, float[] acc) {
        applyPanels(x, rows, y, acc, 0, panelCount());
    }

    int panelCount() {
        return (out + PANEL - 1) / PANEL;
    }

    /** {@link #apply} restricted to panels [from, to): independent outputs, so threads may split the panels. */
    void applyPanels(float[] x, int rows, float[] y, float[] acc, int from, int to) {
        for (int p = from; p < to; p++) {
            int o0 = p * PANEL, width = Math.min(PANEL, out - o0), base = o0 * in;
            java.util.Arrays.fill(acc, 0, rows * width, 0f);
            for (int i = 0; i < in; i++) {
                int w = base + i * width;
                for (int r = 0; r < rows; r++) {
                    float a = x[r * in + i];
                    int s = r * width;
                    for (int j = 0; j < width; j++) acc[s + j] += a * panels[w + j];
                }
            }
            for (int r = 0; r < rows; r++) {
                int s = r * width, d = r * out + o0;
                if (bias == null) System.arraycopy(acc, s, y, d, width);
                else for (int j = 0; j < width; j++) y[d + j] = acc[s + j] + bias[o0 + j];
            }
        }
    }
}
