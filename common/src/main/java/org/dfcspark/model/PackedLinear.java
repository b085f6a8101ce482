package org.dfcspark.model;

import org.dfcspark.simd.VecOps;

/**
 * A linear layer {@code y = x·Wᵀ + b} packed once for products with few rows (a decode step: one row per sequence).
 *
 * <p>HF keeps a weight as (out, in). Here it is cut into panels of {@link VecOps#PANEL} outputs, each stored
 * transposed and contiguous as (in, PANEL), the last one zero padded: a product streams the weights from memory
 * once, in order, while {@link VecOps#panelProduct} keeps four rows' partial sums of a panel in registers.
 */
final class PackedLinear {
    private static final int P = VecOps.PANEL;

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
        this.panels = new float[Math.multiplyExact(panelCount() * P, in)];
        for (int o = 0; o < out; o++) {
            int base = (o / P) * P * in, j = o % P;
            for (int i = 0; i < in; i++) panels[base + i * P + j] = weight[o * in + i];
        }
    }

    int in() {
        return in;
    }

    int out() {
        return out;
    }

    int panelCount() {
        return (out + P - 1) / P;
    }

    /** {@code y[r·out + o] = bias[o] + Σ_i x[r·in + i]·W[o, i]} for every row r below {@code rows}. */
    void apply(float[] x, int rows, float[] y) {
        applyPanels(x, rows, y, 0, panelCount());
    }

    /** {@link #apply} restricted to panels [from, to): independent outputs, so threads may split the panels. */
    void applyPanels(float[] x, int rows, float[] y, int from, int to) {
        for (int p = from; p < to; p++) {
            int o0 = p * P, width = Math.min(P, out - o0);
            VecOps.panelProduct(panels, o0 * in, in, x, rows, y, o0, out, width);
            if (bias != null) {
                for (int r = 0; r < rows; r++) for (int j = 0; j < width; j++) y[r * out + o0 + j] += bias[o0 + j];
            }
        }
    }
}
