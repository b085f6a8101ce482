package org.dfcspark.dfc;

import org.dfcspark.simd.SimdOps;
import org.dfcspark.simd.VecOps;

/**
 * The encoder product {@code out = x · wᵀ + bias} of {@link TorchMatmul} (x: rows × inner, w: cols × inner, out:
 * rows × cols, all row-major) on the JVM's vector units. Used instead of libtorch where the JVM has 512-bit vectors
 * ({@link #PREFERRED}): there a 16-sums register tile runs at about twice the rate of libtorch's BLAS, which on AMD
 * processors keeps to its 256-bit kernels (docs/PERFORMANCE.md, "Crosscoder training step").
 *
 * <p>How: x is copied into panels of {@link VecOps#PANEL} rows stored transposed, (inner, PANEL): 4 MB for a batch of
 * 1024 rows of 2d = 1024, against w's 32 MB, which is read in place. A block of w's rows then goes through every panel
 * with {@link SimdOps#panelSums}, w's rows being the broadcast operand; each panel's sums come out as (w's rows ×
 * the panel's rows) and are written transposed into out (16 × 16 blocks transposed in registers), plus the bias.
 * Threads take blocks of w's rows. Every output is one thread's sum over inner in order, so the result does not
 * depend on the number of threads. Given the features' {@link Partition}, blocks stop at its bounds and a block of
 * one model's exclusive features reads only that model's half of x.
 */
final class VectorMatmul {
    /** True where this product beats libtorch's on the CPU: the Vector API with 512-bit vectors (8-row passes). */
    static final boolean PREFERRED = VecOps.WIDE;
    private static final int P = VecOps.PANEL;
    /** Rows of w per block: 64 rows of 2d = 1024 (256 KB) stay in L2 while the panels of x go by. */
    private static final int W_ROWS_PER_BLOCK = 64;

    private float[] panels = new float[0];
    /** Each share's tile of sums ({@link Parallel#share}), reused: this runs every training step. */
    private float[][] tiles = new float[0][];
    /** Each share's 16 × 16 block for {@link SimdOps#transpose16}. */
    private float[][] scratches = new float[0][];
    /** The last call's blocks ({@link #blockStarts}), for its cols and partition bounds. */
    private int[] starts;
    private int lastCols;
    private int[] lastBounds;

    void linear(float[] x, int rows, int inner, float[] w, int cols, float[] bias, float[] out, int threads) {
        linear(x, rows, inner, w, cols, bias, out, threads, null);
    }

    /**
     * As above, where w's rows are the features of {@code zeros} and x's inner values two models' halves: a block of
     * w's rows that are all exclusive to one model reads only that model's half (the other half's weights are zero;
     * {@link SimdOps#panelSums(float[], int, int, float[], int, int, float[], int, int)}: the same bits).
     */
    void linear(float[] x, int rows, int inner, float[] w, int cols, float[] bias, float[] out, int threads, Partition zeros) {
        if (rows == 0) return;
        int panelCount = (rows + P - 1) / P;
        long need = (long) panelCount * P * inner;
        if (panels.length < need) panels = new float[Math.toIntExact(need)];
        float[] xp = panels;
        Parallel.forBlocks(threads, panelCount, p -> pack(x, rows, inner, xp, p));
        if (tiles.length < threads) {
            tiles = new float[threads][];
            scratches = new float[threads][];
            for (int t = 0; t < threads; t++) {
                tiles[t] = new float[W_ROWS_PER_BLOCK * P];
                scratches[t] = new float[16 * 16];
            }
        }
        float[][] tile0 = tiles, scratch0 = scratches;
        int[] starts = blockStarts(cols, zeros);
        Parallel.forBlocks(threads, starts.length - 1, blk -> {
            int c0 = starts[blk], n = starts[blk + 1] - c0;
            float[] tile = tile0[Parallel.share(blk, threads)];
            int half = inner / 2;
            int lo = zeros == null ? 0 : zeros.loModel(c0, c0 + n) * half, hi = zeros == null ? inner : zeros.hiModel(c0, c0 + n) * half;
            for (int p = 0; p < panelCount; p++) {
                int r0 = p * P, width = Math.min(P, rows - r0);
                SimdOps.panelSums(xp, p * P * inner, inner, w, c0 * inner, n, tile, lo, hi);
                writeTransposed(tile, n, width, out, (long) r0 * cols + c0, cols, bias, c0, scratch0[Parallel.share(blk, threads)]);
            }
        });
    }

    /**
     * out[o + j·cols + c] = tile[c·P + j] (+ bias[b0 + c]) for c < n, j < width: the tile's sums (w's rows × the panel's
     * rows) into out's rows, in 16 × 16 blocks transposed in registers where the machine has 16 lanes, the rest one value
     * at a time.
     */
    private static void writeTransposed(float[] tile, int n, int width, float[] out, long o, int cols, float[] bias, int b0, float[] scratch) {
        int at = Math.toIntExact(o);
        int blocked = SimdOps.LANES == 16 ? 16 : Integer.MAX_VALUE;
        int cFull = n / blocked * blocked, jFull = width / blocked * blocked;
        for (int c = 0; c < cFull; c += 16) {
            for (int j = 0; j < jFull; j += 16) SimdOps.transpose16(tile, c * P + j, P, out, at + j * cols + c, cols, bias, b0 + c, scratch);
        }
        for (int j = 0; j < width; j++) {
            int from = j < jFull ? cFull : 0; // the blocks wrote columns [0, cFull) of rows [0, jFull)
            for (int c = from; c < n; c++) out[at + j * cols + c] = bias == null ? tile[c * P + j] : tile[c * P + j] + bias[b0 + c];
        }
    }

    /**
     * The first w row of each block (and cols at the end): blocks of at most {@link #W_ROWS_PER_BLOCK} rows that do not
     * cross the boundaries between A-exclusive, B-exclusive and shared features, so that exclusive blocks skip a half.
     */
    private int[] blockStarts(int cols, Partition zeros) {
        int[] bounds = zeros == null ? new int[] {0, cols} : new int[] {0, zeros.nA(), zeros.sharedStart(), cols};
        if (starts != null && lastCols == cols && java.util.Arrays.equals(lastBounds, bounds)) return starts;
        java.util.List<Integer> list = new java.util.ArrayList<>();
        for (int s = 0; s + 1 < bounds.length; s++) {
            for (int c = bounds[s]; c < bounds[s + 1]; c += W_ROWS_PER_BLOCK) list.add(c);
        }
        list.add(cols);
        starts = list.stream().mapToInt(Integer::intValue).toArray();
        lastCols = cols;
        lastBounds = bounds;
        return starts;
    }

    /** Panel p: rows [p·PANEL, (p+1)·PANEL) of x transposed to (inner, PANEL), rows past the end as zeros. */
    private static void pack(float[] x, int rows, int inner, float[] xp, int p) {
        int base = p * P * inner;
        for (int j = 0; j < P; j++) {
            int row = p * P + j;
            if (row < rows) {
                for (int i = 0, src = row * inner; i < inner; i++) xp[base + i * P + j] = x[src + i];
            } else {
                for (int i = 0; i < inner; i++) xp[base + i * P + j] = 0f;
            }
        }
    }
}
