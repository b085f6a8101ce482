package org.dfcspark.dfc;

import org.dfcspark.simd.VecOps;

/**
 * The sparsity rules, applied to pre-activations {@code pre (rows × D)}: an entry can only be selected where
 * {@code post = ReLU(pre) > 0}, and a selected entry keeps its unscaled post value. (Entries with post = 0 that a
 * top-k would also pick contribute nothing to the output and get no gradient through the ReLU, so they are left out.)
 */
public final class FeatureSelection {
    private static final int ROW_BLOCK = 32;

    private FeatureSelection() {}

    /**
     * Per row, the k entries with the largest key among the candidates, where key = post · scale[j] (scale null:
     * key = post) and candidates are all features (candidate null) or those flagged. Ties keep the lower index.
     */
    public static void topKPerRow(float[] pre, int rows, int dict, int k, float[] scale, boolean[] candidate, SparseCodes out, int threads) {
        out.reset(rows, rows * k);
        boolean plain = scale == null && candidate == null;
        // each share's scratch, allocated once per call (not per block: this runs every training step)
        int shares = plain ? Math.max(1, threads) : 0;
        int[][] foundOf = new int[shares][dict];
        float[][] foundValueOf = new float[shares][dict + VecOps.LANES];
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            float[] heapKey = plain ? null : new float[k];
            int[] heapIdx = plain ? null : new int[k];
            int[] found = plain ? foundOf[Parallel.share(blk, threads)] : null;
            float[] foundValue = plain ? foundValueOf[Parallel.share(blk, threads)] : null;
            float[] guess = new float[2]; // the previous row's k-th value, and 1 if its threshold passed k to 2k + 8 entries
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                int o = b * dict;
                out.start[b] = b * k;
                if (plain) {
                    float kth = plainRow(pre, o, dict, k, guess, found, foundValue, out, b * k);
                    out.count[b] = kth > 0f ? k : (int) -kth;
                    // rows are alike: the next row's k-th value is likely near this one's (only the speed depends on it)
                    guess[0] = kth;
                    continue;
                }
                int size = keyedRow(pre, o, dict, k, scale, candidate, heapKey, heapIdx);
                out.count[b] = size;
                for (int e = 0; e < size; e++) {
                    out.index[b * k + e] = heapIdx[e];
                    out.value[b * k + e] = pre[o + heapIdx[e]];
                }
            }
        });
        if (!plain) out.sortRows(threads);
    }

    /**
     * How the threshold is found. A row starts at {@code GUESS_MARGIN} × the previous row's k-th value. When that worked
     * for the previous row (k to {@code 2k + CROWD_SLACK} entries passed), the entries above it are collected at once
     * (the collect stops once more than 2k + CROWD_SLACK pass: on the organism 17% of such rows passed over 4k, and
     * collected 69 entries per row on average against 27 with the stop); otherwise, or when fewer than k or too many
     * pass, the threshold is first steered by counting: multiplied by {@code DOWN}
     * while fewer than k pass, by {@code UP} while more than 2k + CROWD_SLACK do, bisected once both sides are known,
     * at most {@code STEER_COUNTS} counts. A count is a branch-free compare per vector; each entry collected costs about
     * as much as a count of 4 to 5 values would save, as its branches mispredict. So rows that vary (the organism's
     * activations: ~60% of rows fell below the previous row's k-th value) are counted first, and rows alike (random
     * data) are collected at once. Only the speed depends on these (measured on dumped pre-activations, see DESIGN).
     */
    private static final float GUESS_MARGIN = 0.95f;
    private static final float DOWN = 0.6f;
    private static final float UP = 1.5f;
    private static final int STEER_COUNTS = 6;
    private static final int CROWD_SLACK = 8;

    /**
     * The k largest positive entries of one row (no scale, every feature a candidate), written in index order at
     * {@code at}. Returns the k-th largest value, or −(how many were written) when the row has fewer than k positive
     * entries. Once k entries pass a threshold, only entries above it can be among them: the threshold is found as
     * above ({@code guess}: the previous row's k-th value and whether it was collected at once, updated here; none:
     * half the row's largest value), the entries above it are collected, their k-th largest value is found on vector
     * lanes, and the candidates above it, and ties with it from the lowest index, are kept. {@code value} needs room
     * for dict + LANES.
     */
    private static float plainRow(float[] pre, int o, int dict, int k, float[] guess, int[] found, float[] value, SparseCodes out, int at) {
        int end = o + dict, crowd = 2 * k + CROWD_SLACK;
        boolean known = guess[0] > 0f && guess[0] < Float.POSITIVE_INFINITY;
        float t = known ? guess[0] * GUESS_MARGIN : 0.5f * VecOps.max(pre, o, dict);
        float enough = 0f, tooHigh = Float.POSITIVE_INFINITY; // thresholds known to pass ≥ k values, and < k
        int n = -1;
        if (known && guess[1] > 0f) {
            n = VecOps.collectGreater(pre, o, end, t, found, value, crowd); // stops past crowd: collecting costs per entry
            if (n < k) {
                tooHigh = t;
                t *= DOWN;
                n = -1;
            } else if (n > crowd) {
                enough = t;
                t *= UP;
                n = -1;
            }
        }
        if (n < 0) {
            for (int i = 0; i < STEER_COUNTS && t > 0f && t < Float.POSITIVE_INFINITY; i++) {
                int c = VecOps.countGreater(pre, o, end, t);
                if (c < k) tooHigh = t;
                else enough = t;
                if (c >= k && c <= crowd) break;
                t = tooHigh < Float.POSITIVE_INFINITY && enough > 0f ? 0.5f * (enough + tooHigh) : c < k ? DOWN * t : UP * t;
                if (t == enough || t == tooHigh) break; // no float left between them
            }
            // the collected threshold: the highest known to pass k (0 when none is: every positive entry)
            n = VecOps.collectGreater(pre, o, end, enough, found, value, Integer.MAX_VALUE);
        }
        guess[1] = n >= k && n <= crowd ? 1f : 0f;
        if (n < k) {
            for (int c = 0; c < n; c++) {
                out.index[at + c] = found[c];
                out.value[at + c] = value[c];
            }
            return -n;
        }
        float kth = VecOps.kthLargestPositive(value, n, k);
        int above = 0;
        for (int c = 0; c < n; c++) above += value[c] > kth ? 1 : 0;
        int ties = k - above, e = at;
        for (int c = 0; c < n; c++) {
            float x = value[c];
            if (x > kth || (x == kth && ties-- > 0)) {
                out.index[e] = found[c];
                out.value[e++] = x;
            }
        }
        return kth;
    }

    /** The k entries of one row with the largest key = post · scale[j] among the candidates (either may be null). */
    private static int keyedRow(float[] pre, int o, int dict, int k, float[] scale, boolean[] candidate, float[] heapKey, int[] heapIdx) {
        int size = 0;
        for (int j = 0; j < dict; j++) {
            float v = pre[o + j];
            if (!(v > 0f) || (candidate != null && !candidate[j])) continue;
            float key = scale == null ? v : v * scale[j];
            if (size < k) {
                heapKey[size] = key;
                heapIdx[size] = j;
                siftUp(heapKey, heapIdx, size++);
            } else if (key > heapKey[0]) {
                heapKey[0] = key;
                heapIdx[0] = j;
                siftDown(heapKey, heapIdx, size);
            }
        }
        return size;
    }

    // min-heap on key; among equal keys the larger index sits nearer the root, so it is evicted first
    private static boolean less(float[] key, int[] idx, int a, int b) {
        return key[a] < key[b] || (key[a] == key[b] && idx[a] > idx[b]);
    }

    private static void swap(float[] key, int[] idx, int a, int b) {
        float k = key[a];
        key[a] = key[b];
        key[b] = k;
        int i = idx[a];
        idx[a] = idx[b];
        idx[b] = i;
    }

    private static void siftUp(float[] key, int[] idx, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!less(key, idx, i, p)) break;
            swap(key, idx, i, p);
            i = p;
        }
    }

    private static void siftDown(float[] key, int[] idx, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && less(key, idx, l, m)) m = l;
            if (r < size && less(key, idx, r, m)) m = r;
            if (m == i) return;
            swap(key, idx, i, m);
            i = m;
        }
    }

    /**
     * BatchTopK: the {@code total} entries of the whole batch with the largest post · scale[j] (ties: row-major
     * order). Returns the smallest selected ranked value (for the inference threshold), or NaN if nothing is positive.
     */
    public static double batchTopK(float[] pre, int rows, int dict, long total, float[] scale, SparseCodes out, int threads) {
        long positives = 0;
        for (int i = 0, n = rows * dict; i < n; i++) if (pre[i] > 0f) positives++;
        if (positives == 0) {
            out.reset(rows, 0);
            for (int b = 0; b < rows; b++) out.start[b] = 0;
            return Double.NaN;
        }
        float cut = positives <= total ? 0f : kthLargestRanked(pre, rows * dict, dict, total, scale);
        // entries strictly above the cut are all kept; entries equal to it fill the remaining quota in row order
        long[] above = new long[rows];
        long[] ties = new long[rows];
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                long a = 0, t = 0;
                for (int j = 0, o = b * dict; j < dict; j++) {
                    float v = pre[o + j];
                    if (!(v > 0f)) continue;
                    float key = v * scale[j];
                    if (key > cut) a++;
                    else if (key == cut) t++;
                }
                above[b] = a;
                ties[b] = t;
            }
        });
        long quota = positives <= total ? 0 : total;
        for (long a : above) quota -= a;
        int[] tiesTaken = new int[rows];
        int capacity = 0;
        for (int b = 0; b < rows; b++) {
            long take = positives <= total ? ties[b] : Math.max(0, Math.min(ties[b], quota));
            if (positives > total) quota -= take;
            tiesTaken[b] = (int) take;
            capacity += (int) (above[b] + take);
        }
        int[] starts = new int[rows];
        out.reset(rows, capacity);
        int s = 0;
        for (int b = 0; b < rows; b++) {
            starts[b] = s;
            s += (int) above[b] + tiesTaken[b];
        }
        float[] minKey = new float[Parallel.blocks(rows, ROW_BLOCK)];
        Parallel.forBlocks(threads, minKey.length, blk -> {
            float mk = Float.POSITIVE_INFINITY;
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                int e = starts[b], tieLeft = tiesTaken[b];
                out.start[b] = e;
                for (int j = 0, o = b * dict; j < dict; j++) {
                    float v = pre[o + j];
                    if (!(v > 0f)) continue;
                    float key = v * scale[j];
                    boolean keep = key > cut || (key == cut && tieLeft-- > 0);
                    if (!keep) continue;
                    out.index[e] = j;
                    out.value[e++] = v;
                    mk = Math.min(mk, key);
                }
                out.count[b] = e - starts[b];
            }
            minKey[blk] = mk;
        });
        float mk = Float.POSITIVE_INFINITY;
        for (float v : minKey) mk = Math.min(mk, v);
        return mk;
    }

    /** The total-th largest positive ranked value, by a two-pass radix select on the float bits (positive floats order like their bits). */
    private static float kthLargestRanked(float[] pre, int n, int dict, long total, float[] scale) {
        long[] hist = new long[1 << 15];
        for (int o = 0; o < n; o += dict) {
            for (int j = 0; j < dict; j++) {
                float v = pre[o + j];
                if (v > 0f) hist[Float.floatToRawIntBits(v * scale[j]) >>> 16]++;
            }
        }
        long need = total;
        int high = hist.length - 1;
        for (; high >= 0; high--) {
            if (hist[high] >= need) break;
            need -= hist[high];
        }
        long[] low = new long[1 << 16];
        for (int o = 0; o < n; o += dict) {
            for (int j = 0; j < dict; j++) {
                float v = pre[o + j];
                if (!(v > 0f)) continue;
                int bits = Float.floatToRawIntBits(v * scale[j]);
                if (bits >>> 16 == high) low[bits & 0xFFFF]++;
            }
        }
        int lo = low.length - 1;
        for (; lo >= 0; lo--) {
            if (low[lo] >= need) break;
            need -= low[lo];
        }
        return Float.intBitsToFloat((high << 16) | lo);
    }

    /** Inference rule of BatchTopK: keep post where post · scale[j] > threshold (strictly). */
    public static void threshold(float[] pre, int rows, int dict, float[] scale, double threshold, SparseCodes out, int threads) {
        keepWhere(pre, rows, dict, out, threads, (v, j) -> (double) (v * scale[j]) > threshold);
    }

    /** ReLU: every positive activation. */
    public static void relu(float[] pre, int rows, int dict, SparseCodes out, int threads) {
        keepWhere(pre, rows, dict, out, threads, (v, j) -> true);
    }

    private interface Keep {
        boolean test(float post, int j);
    }

    private static void keepWhere(float[] pre, int rows, int dict, SparseCodes out, int threads, Keep keep) {
        int[] counts = new int[rows];
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                int c = 0;
                for (int j = 0, o = b * dict; j < dict; j++) if (pre[o + j] > 0f && keep.test(pre[o + j], j)) c++;
                counts[b] = c;
            }
        });
        int total = 0;
        for (int c : counts) total += c;
        out.reset(rows, total);
        for (int b = 0, s = 0; b < rows; b++) {
            out.start[b] = s;
            s += counts[b];
        }
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                int e = out.start[b];
                for (int j = 0, o = b * dict; j < dict; j++) {
                    float v = pre[o + j];
                    if (v > 0f && keep.test(v, j)) {
                        out.index[e] = j;
                        out.value[e++] = v;
                    }
                }
                out.count[b] = counts[b];
            }
        });
    }
}
