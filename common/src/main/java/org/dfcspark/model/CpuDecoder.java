package org.dfcspark.model;

import org.dfcspark.simd.VecOps;

/**
 * The decode step of {@link Generator} in plain Java on the CPU: one new token for each of R rows through every
 * layer, as {@code Qwen2Model.layer} computes it with libtorch, with the keys and values in Java arrays.
 *
 * <p>Why: a decode step is R rows through products of few rows. Through libtorch each of its ~60 ops per layer
 * pays a JNI call and an allocation, which is all of the cost for a small model (the organism: d = 128), and the
 * few-row products stream the weights at a fraction of the memory bandwidth for a large one. Here a step is
 * plain loops over {@link PackedModel} into buffers allocated once per generation; the prompt forward is
 * {@code Qwen2Model.forward} (libtorch, its large products over the same packed weights on 512-bit JVMs).
 *
 * <p>Not shareable between threads: one per generation.
 */
final class CpuDecoder {
    private final PackedModel m;
    /** Rows still decoding: the first {@code rows} of the buffers ({@link #keep} drops finished ones). */
    private int rows;
    private final int capacity;
    private final int threads;
    private final int nH;
    private final int kvH;
    private final int hd;
    private final int d;
    private final float scale;
    /**
     * Per layer (rows, kvHeads, headDim, capacity): {@link KvCache}'s layout with the last two axes swapped, so a
     * head's scores over all keys and its weighted sum of values run along contiguous columns.
     */
    private final float[][] keys;
    private final float[][] values;
    // Scratch, reused every step.
    private final float[] h;
    private final float[] x;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] attn;
    private final float[] o;
    private final float[] gate;
    private final float[] up;
    private final float[] cos;
    private final float[] sin;
    private final float[] scores;
    private final float[] logits;

    /**
     * @param cache   the libtorch cache the prompt forward filled (copied)
     * @param threads threads a product is split over (libtorch's intra-op count, so a Spark task's 1 stays 1)
     */
    CpuDecoder(PackedModel model, KvCache cache, int rows, int threads) {
        this.m = model;
        Qwen2Config c = model.config;
        this.rows = rows;
        this.capacity = cache.capacity();
        this.threads = Math.max(1, threads);
        this.nH = c.numAttentionHeads();
        this.kvH = c.numKeyValueHeads();
        this.hd = c.headDim();
        this.d = c.hiddenSize();
        this.scale = (float) (1.0 / Math.sqrt(hd));
        this.keys = new float[c.numHiddenLayers()][];
        this.values = new float[c.numHiddenLayers()][];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = transposed(cache.keysAsFloats(l));
            values[l] = transposed(cache.valuesAsFloats(l));
        }
        this.h = new float[rows * d];
        this.x = new float[rows * d];
        this.q = new float[rows * nH * hd];
        this.k = new float[rows * kvH * hd];
        this.v = new float[rows * kvH * hd];
        this.attn = new float[rows * nH * hd];
        this.o = new float[rows * d];
        this.gate = new float[rows * c.intermediateSize()];
        this.up = new float[rows * c.intermediateSize()];
        this.cos = new float[rows * hd];
        this.sin = new float[rows * hd];
        this.scores = new float[capacity];
        this.logits = new float[rows * c.vocabSize()];
    }

    /**
     * One decode step: token {@code ids[b]} at position {@code positions[b]} of row b, written at cache column
     * {@code column}; row b attends to columns [padCount[b], column]. Returns the logits (rows × vocab), a buffer
     * reused by the next step.
     */
    float[] step(int[] ids, int[] positions, int column, int[] padCount, StepHooks hooks) {
        if (column >= capacity) throw new IllegalStateException("KV cache full: " + (column + 1) + " > " + capacity);
        for (int b = 0; b < rows; b++) System.arraycopy(m.embed, ids[b] * d, h, b * d, d);
        rope(positions);
        for (int l = 0; l < m.layers.length; l++) {
            hooks.applyRows(HookPoint.residPre(l), h, rows, d);
            layer(l, column, padCount);
            hooks.applyRows(HookPoint.residPost(l), h, rows, d);
        }
        rmsNorm(h, m.finalNorm, x);
        hooks.applyRows(HookPoint.finalNorm(), x, rows, d);
        linear(m.lmHead, x, logits);
        return logits;
    }

    /**
     * Keeps the rows marked in {@code keepRow} (one flag per current row), in order, and drops the others' keys and
     * values: later steps take and return only the kept rows. A finished row would otherwise be fed the pad id through
     * every layer until the last row finishes.
     */
    void keep(boolean[] keepRow) {
        if (keepRow.length != rows) throw new IllegalArgumentException(keepRow.length + " flags for " + rows + " rows");
        int block = kvH * hd * capacity, kept = 0;
        for (int r = 0; r < rows; r++) {
            if (!keepRow[r]) continue;
            if (r != kept) {
                for (int l = 0; l < keys.length; l++) {
                    System.arraycopy(keys[l], r * block, keys[l], kept * block, block);
                    System.arraycopy(values[l], r * block, values[l], kept * block, block);
                }
            }
            kept++;
        }
        rows = kept;
    }

    private void layer(int l, int column, int[] padCount) {
        PackedModel.Layer w = m.layers[l];
        rmsNorm(h, w.inputNorm(), x);
        linear(w.q(), x, q);
        linear(w.k(), x, k);
        linear(w.v(), x, v);
        applyRope(q, nH);
        applyRope(k, kvH);
        float[] kc = keys[l], vc = values[l];
        for (int bg = 0; bg < rows * kvH; bg++) {
            int at = bg * hd * capacity + column;
            for (int i = 0; i < hd; i++) {
                kc[at + i * capacity] = k[bg * hd + i];
                vc[at + i * capacity] = v[bg * hd + i];
            }
        }
        int group = nH / kvH;
        for (int b = 0; b < rows; b++) {
            for (int head = 0; head < nH; head++) {
                int g = head / group, qi = (b * nH + head) * hd, cache = (b * kvH + g) * capacity * hd;
                attend(q, qi, kc, vc, cache, padCount[b], column, attn, qi);
            }
        }
        linear(w.o(), attn, o);
        for (int i = 0, n = rows * d; i < n; i++) h[i] += o[i];

        rmsNorm(h, w.postNorm(), x);
        linear(w.gate(), x, gate);
        linear(w.up(), x, up);
        VecOps.siluMul(gate, up, rows * m.config.intermediateSize());
        linear(w.down(), gate, o);
        for (int i = 0, n = rows * d; i < n; i++) h[i] += o[i];
    }

    /** Softmax-weighted values over key columns [from, to] for one query head; the head's cache block starts at {@code cache}. */
    private void attend(float[] query, int qi, float[] kc, float[] vc, int cache, int from, int to, float[] out, int oi) {
        int n = to - from + 1;
        java.util.Arrays.fill(scores, from, to + 1, 0f);
        for (int i = 0; i < hd; i++) VecOps.axpy(query[qi + i], kc, cache + i * capacity + from, scores, from, n);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j <= to; j++) {
            scores[j] *= scale;
            max = Math.max(max, scores[j]);
        }
        float sum = VecOps.expShifted(scores, from, n, max, true);
        for (int i = 0; i < hd; i++) out[oi + i] = VecOps.dot(scores, from, vc, cache + i * capacity + from, n) / sum;
    }

    /** (rows·kvHeads, capacity, headDim) → (rows·kvHeads, headDim, capacity). */
    private float[] transposed(float[] cache) {
        if (cache.length != rows * kvH * capacity * hd) throw new IllegalStateException("KV cache has the wrong size");
        float[] t = new float[cache.length];
        for (int bg = 0; bg < rows * kvH; bg++) {
            int base = bg * capacity * hd;
            for (int j = 0; j < capacity; j++) for (int i = 0; i < hd; i++) t[base + i * capacity + j] = cache[base + j * hd + i];
        }
        return t;
    }

    /** HF Qwen2RMSNorm in float32: x / sqrt(mean(x²) + eps) · weight, per row. */
    private void rmsNorm(float[] in, float[] weight, float[] out) {
        float eps = (float) m.config.rmsNormEps();
        for (int b = 0; b < rows; b++) {
            int base = b * d;
            double ss = 0;
            for (int i = 0; i < d; i++) ss += in[base + i] * in[base + i];
            float denom = (float) Math.sqrt((float) (ss / d) + eps);
            for (int i = 0; i < d; i++) out[base + i] = in[base + i] / denom * weight[i];
        }
    }

    /** cos and sin of each row's position times the inverse frequencies, duplicated over both halves (HF). */
    private void rope(int[] positions) {
        int half = hd / 2;
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < half; i++) {
                float f = (float) positions[b] * m.invFreq[i];
                float c = (float) Math.cos(f), s = (float) Math.sin(f);
                cos[b * hd + i] = c;
                cos[b * hd + half + i] = c;
                sin[b * hd + i] = s;
                sin[b * hd + half + i] = s;
            }
        }
    }

    /** x·cos + rotate_half(x)·sin for each of {@code heads} heads of each row, in place. */
    private void applyRope(float[] t, int heads) {
        int half = hd / 2;
        for (int b = 0; b < rows; b++) {
            for (int head = 0; head < heads; head++) {
                int base = (b * heads + head) * hd, r = b * hd;
                for (int i = 0; i < half; i++) {
                    float x1 = t[base + i], x2 = t[base + half + i];
                    t[base + i] = x1 * cos[r + i] - x2 * sin[r + i];
                    t[base + half + i] = x2 * cos[r + half + i] + x1 * sin[r + half + i];
                }
            }
        }
    }

    /** The product on this thread, or split by panels over {@code threads} threads. */
    private void linear(PackedLinear layer, float[] in, float[] out) {
        layer.apply(in, rows, out, threads);
    }
}
