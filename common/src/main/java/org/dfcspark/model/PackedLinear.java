package org.dfcspark.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dfcspark.simd.VecOps;

/**
 * A linear layer {@code y = x·Wᵀ + b} packed once for products with few rows (a decode step: one row per sequence).
 *
 * <p>HF keeps a weight as (out, in). Here it is cut into panels of {@link VecOps#PANEL} outputs, each stored
 * transposed and contiguous as (in, PANEL), the last one zero padded: a product streams the weights from memory
 * once, in order, while {@link VecOps#panelProduct} keeps several rows' partial sums of a panel in registers. Many
 * rows (a prompt forward) go in blocks of {@link #ROWS_PER_BLOCK}, whose inputs stay in L2 while the panels go by.
 */
final class PackedLinear {
    private static final int P = VecOps.PANEL;
    /** Rows per block of a long product: 128 rows of 896 inputs (458 KB) stay in a 1 MB L2 beside a panel. */
    static final int ROWS_PER_BLOCK = 128;
    /** Multiply-adds below which a product runs on the calling thread (≈ 50 µs of work). */
    private static final long SPLIT_MACS = 1L << 21;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dfc-product");
        t.setDaemon(true);
        return t;
    });

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

    /** {@link #apply} with the panels split over {@code threads} threads (the caller's one of them). */
    void apply(float[] x, int rows, float[] y, int threads) {
        int panels = panelCount();
        // Handing work to another thread costs tens of microseconds: only worth it for products far longer.
        if (threads == 1 || panels < 2 * threads || (long) rows * out * in < SPLIT_MACS) {
            apply(x, rows, y);
            return;
        }
        List<Future<?>> parts = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            int from = panels * t / threads, to = panels * (t + 1) / threads;
            parts.add(POOL.submit(() -> applyPanels(x, rows, y, from, to)));
        }
        applyPanels(x, rows, y, 0, panels / threads);
        try {
            for (Future<?> f : parts) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in a product", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("product failed", e.getCause());
        }
    }

    /** {@link #apply} restricted to panels [from, to): independent outputs, so threads may split the panels. */
    void applyPanels(float[] x, int rows, float[] y, int from, int to) {
        float[] sums = new float[Math.min(rows, ROWS_PER_BLOCK) * P];
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_BLOCK) {
            int n = Math.min(ROWS_PER_BLOCK, rows - r0);
            for (int p = from; p < to; p++) {
                int o0 = p * P, width = Math.min(P, out - o0);
                VecOps.panelProduct(panels, o0 * in, in, x, r0 * in, n, y, r0 * out + o0, out, width, sums);
                if (bias != null) {
                    for (int r = r0; r < r0 + n; r++) for (int j = 0; j < width; j++) y[r * out + o0 + j] += bias[o0 + j];
                }
            }
        }
    }
}
