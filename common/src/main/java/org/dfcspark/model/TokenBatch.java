package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A left-padded batch of token sequences: ids, attention mask (1 = real token) and position ids
 * {@code cumsum(mask) - 1} with pads at 0, as HF {@code generate} derives them; each row's first real token sits
 * at position 0, so a padded row computes exactly what it computes alone.
 */
public final class TokenBatch {
    private final int[][] ids;
    private final int[] lengths;
    private final int width;
    private final int padId;

    private TokenBatch(int[][] ids, int[] lengths, int width, int padId) {
        this.ids = ids;
        this.lengths = lengths;
        this.width = width;
        this.padId = padId;
    }

    /** Throws IllegalArgumentException for an empty batch or an empty sequence. */
    public static TokenBatch leftPadded(List<int[]> seqs, int padId) {
        if (seqs == null || seqs.isEmpty()) throw new IllegalArgumentException("empty input: no sequences given");
        int width = 0;
        int[] lengths = new int[seqs.size()];
        for (int b = 0; b < seqs.size(); b++) {
            if (seqs.get(b) == null || seqs.get(b).length == 0) {
                throw new IllegalArgumentException("empty input: sequence " + b + " has no tokens");
            }
            lengths[b] = seqs.get(b).length;
            width = Math.max(width, lengths[b]);
        }
        int[][] ids = new int[seqs.size()][width];
        for (int b = 0; b < ids.length; b++) {
            int pad = width - lengths[b];
            java.util.Arrays.fill(ids[b], 0, pad, padId);
            System.arraycopy(seqs.get(b), 0, ids[b], pad, lengths[b]);
        }
        return new TokenBatch(ids, lengths, width, padId);
    }

    public int batchSize() {
        return ids.length;
    }

    /** Padded length T. */
    public int width() {
        return width;
    }

    /** Real length of row b. */
    public int length(int b) {
        return lengths[b];
    }

    public int[] lengths() {
        return lengths.clone();
    }

    /** Left pads of row b. */
    public int padCount(int b) {
        return width - lengths[b];
    }

    public int padId() {
        return padId;
    }

    /** Row b's real tokens (no padding). */
    public int[] sequence(int b) {
        return java.util.Arrays.copyOfRange(ids[b], padCount(b), width);
    }

    public int[][] ids() {
        int[][] c = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) c[b] = ids[b].clone();
        return c;
    }

    public int[][] attentionMask() {
        int[][] m = new int[ids.length][width];
        for (int b = 0; b < ids.length; b++) java.util.Arrays.fill(m[b], padCount(b), width, 1);
        return m;
    }

    public int[][] positionIds() {
        int[][] p = new int[ids.length][width];
        for (int b = 0; b < ids.length; b++) {
            for (int t = padCount(b); t < width; t++) p[b][t] = t - padCount(b);
        }
        return p;
    }

    /** Throws IllegalArgumentException naming the first id outside {@code [0, vocabSize)}. */
    public void checkVocab(int vocabSize) {
        for (int b = 0; b < ids.length; b++) {
            for (int t = padCount(b); t < width; t++) {
                int id = ids[b][t];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("token id " + id + " at sequence " + b + " position " + (t - padCount(b))
                            + " is outside the vocabulary [0, " + vocabSize + ")");
                }
            }
        }
        if (padId < 0 || padId >= vocabSize) {
            throw new IllegalArgumentException("pad id " + padId + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }

    /** ids as an int64 (B, T) array in {@code m}. */
    NDArray idsArray(NDManager m) {
        return longs(m, ids);
    }

    NDArray positionArray(NDManager m) {
        return longs(m, positionIds());
    }

    static NDArray longs(NDManager m, int[][] rows) {
        int w = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * w];
        for (int b = 0; b < rows.length; b++) for (int t = 0; t < w; t++) flat[b * w + t] = rows[b][t];
        // DJL wraps Java data without copying (torch::from_blob over a direct buffer that the NDArray keeps alive).
        // Autograd saves the ids for the embedding's backward, and the forward closes its arrays before the
        // caller's backward: the buffer is then freed and reused, and the embedding gradient lands in wrong rows
        // (or out of bounds). A clone gives libtorch-owned memory that lives as long as the graph needs it.
        try (NDArray view = m.create(flat, new Shape(rows.length, w))) {
            return view.duplicate();
        }
    }
}
