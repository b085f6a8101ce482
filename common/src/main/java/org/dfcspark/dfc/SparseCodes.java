package org.dfcspark.dfc;

import java.util.Arrays;

/**
 * Feature activations of a batch in compressed-row form: row b has {@code count[b]} entries at
 * {@code start[b]…}, feature ids ascending, values > 0. Only the active features of a row are stored, which is
 * what makes decoding and the backward pass cost O(rows · k · d) instead of O(rows · D · d).
 */
public final class SparseCodes {
    final int dictSize;
    int rows;
    int[] start;
    int[] count;
    int[] index;
    float[] value;

    public SparseCodes(int dictSize) {
        this.dictSize = dictSize;
        this.start = new int[0];
        this.count = new int[0];
        this.index = new int[0];
        this.value = new float[0];
    }

    /** Prepares for {@code rows} rows and room for {@code capacity} entries (reusing the arrays when large enough). */
    void reset(int rows, int capacity) {
        this.rows = rows;
        if (start.length < rows) {
            start = new int[rows];
            count = new int[rows];
        }
        Arrays.fill(count, 0, rows, 0);
        if (index.length < capacity) {
            index = new int[capacity];
            value = new float[capacity];
        }
    }

    public int rows() {
        return rows;
    }

    public int dictSize() {
        return dictSize;
    }

    public int count(int row) {
        return count[row];
    }

    public int feature(int row, int n) {
        return index[start[row] + n];
    }

    public float value(int row, int n) {
        return value[start[row] + n];
    }

    public long nonZeros() {
        long s = 0;
        for (int b = 0; b < rows; b++) s += count[b];
        return s;
    }

    /** One past the last used slot of the entry arrays (rows may leave gaps). */
    int extent() {
        int e = 0;
        for (int b = 0; b < rows; b++) e = Math.max(e, start[b] + count[b]);
        return e;
    }

    /** Dense (rows × D) copy. */
    public float[] toDense() {
        float[] out = new float[Math.multiplyExact(rows, dictSize)];
        for (int b = 0; b < rows; b++) {
            for (int e = start[b], end = e + count[b]; e < end; e++) out[b * dictSize + index[e]] = value[e];
        }
        return out;
    }

    /** Sorts each row's entries by feature id (selection order is not index order). */
    void sortRows(int threads) {
        Parallel.forBlocks(threads, Parallel.blocks(rows, 64), blk -> {
            for (int b = blk * 64, end = Math.min(rows, b + 64); b < end; b++) sortRow(b);
        });
    }

    private void sortRow(int b) {
        int s = start[b], n = count[b];
        // insertion sort: rows hold k (tens to hundreds) entries
        for (int i = s + 1; i < s + n; i++) {
            int id = index[i];
            float v = value[i];
            int j = i - 1;
            while (j >= s && index[j] > id) {
                index[j + 1] = index[j];
                value[j + 1] = value[j];
                j--;
            }
            index[j + 1] = id;
            value[j + 1] = v;
        }
    }
}
