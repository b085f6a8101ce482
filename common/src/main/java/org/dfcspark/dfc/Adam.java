package org.dfcspark.dfc;

import org.dfcspark.simd.VecOps;

/**
 * Adam exactly as {@code torch.optim.Adam} (single-tensor CPU path; β1 0.9, β2 0.999, ε 1e-8 by default, no weight
 * decay), applied after global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}. Masked: forbidden
 * weights and their moments are never touched (they stay exactly 0), and the weights are re-masked after the step.
 */
public final class Adam {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Crosscoder cc;
    private final int threads;
    private final float[] mEnc, vEnc, mDec, vDec, mBEnc, vBEnc, mBDec, vBDec;
    private long step;

    public Adam(Crosscoder cc, int threads) {
        this(cc, 0.9, 0.999, 1e-8, threads);
    }

    public Adam(Crosscoder cc, double beta1, double beta2, double eps, int threads) {
        this.cc = cc;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.threads = Math.max(1, threads);
        mEnc = new float[cc.encT.length];
        vEnc = new float[cc.encT.length];
        mDec = new float[cc.dec.length];
        vDec = new float[cc.dec.length];
        mBEnc = new float[cc.bEnc.length];
        vBEnc = new float[cc.bEnc.length];
        mBDec = new float[cc.bDec.length];
        vBDec = new float[cc.bDec.length];
    }

    /** Names of the moment arrays of {@link #moments()}, as stored in a training checkpoint's optimizer.safetensors. */
    public static final java.util.List<String> MOMENT_NAMES = java.util.List.of("exp_avg.W_enc_T", "exp_avg_sq.W_enc_T",
            "exp_avg.b_enc", "exp_avg_sq.b_enc", "exp_avg.W_dec", "exp_avg_sq.W_dec", "exp_avg.b_dec", "exp_avg_sq.b_dec");

    /** The live moment arrays (first and second moment of each parameter, in {@link #MOMENT_NAMES} order). */
    public float[][] moments() {
        return new float[][] {mEnc, vEnc, mBEnc, vBEnc, mDec, vDec, mBDec, vBDec};
    }

    /** Restores a checkpointed optimiser: its step count and moments (copied). */
    public void restore(long steps, float[][] moments) {
        float[][] mine = moments();
        if (moments.length != mine.length) throw new IllegalArgumentException("expected " + mine.length + " moment arrays, got " + moments.length);
        for (int i = 0; i < mine.length; i++) {
            if (moments[i].length != mine[i].length) {
                throw new IllegalArgumentException(MOMENT_NAMES.get(i) + " has " + moments[i].length + " values, expected " + mine[i].length);
            }
            System.arraycopy(moments[i], 0, mine[i], 0, mine[i].length);
        }
        this.step = steps;
    }

    /** Number of steps taken. */
    public long steps() {
        return step;
    }

    /**
     * Clips {@code g} to global norm {@code maxNorm} (≤ 0 or infinite: no clipping), then takes one Adam step with
     * learning rate {@code lr} and re-masks. Returns the gradient norm before clipping.
     */
    public double step(Gradients g, double lr, double maxNorm) {
        return step(g, lr, maxNorm, Math.sqrt(g.normSquared(cc)));
    }

    /** As {@link #step(Gradients, double, double)} with the gradient norm already computed. */
    double step(Gradients g, double lr, double maxNorm, double norm) {
        float normF = (float) norm;
        float coef = maxNorm > 0 && Double.isFinite(maxNorm) ? Math.min(1f, (float) maxNorm / (normF + 1e-6f)) : 1f;
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = (float) (lr / bc1);
        float b2c = (float) bc2Sqrt;
        float oneMinusB1 = (float) (1 - beta1), b2 = (float) beta2, oneMinusB2 = (float) (1 - beta2), epsF = (float) eps;
        Updater u = (p, m, v, gr, gShift, off, len) -> VecOps.adam(p, m, v, gr, gShift, off, len, coef, oneMinusB1, b2, oneMinusB2, stepSize, b2c, epsF);
        float[][][] rowParameters = {{cc.encT, mEnc, vEnc, g.encT}, {cc.dec, mDec, vDec, g.dec}};
        Parallel.forBlocks(threads, Parallel.blocks(cc.dictSize, FEATURE_BLOCK), blk -> {
            int from = blk * FEATURE_BLOCK, to = Math.min(cc.dictSize, from + FEATURE_BLOCK);
            // the block's encoder rows, then its decoder rows: eight arrays of one size walked together a row at a time
            // hit the same cache sets (measured: 2.8x slower than four at a time). One call site of the kernel (in a
            // loop, not one per parameter): C2 inlines it into each call site, and with several copies it ran out of
            // budget and left the last vector operations as calls on boxed vectors (10% of a sweep, seen twice)
            for (float[][] a : rowParameters) updateRows(u, a[0], a[1], a[2], g, a[3], from, to);
        });
        u.update(cc.bEnc, mBEnc, vBEnc, g.bEnc, 0, 0, cc.bEnc.length);
        u.update(cc.bDec, mBDec, vBDec, g.bDec, 0, 0, cc.bDec.length);
        cc.applyMasks(); // also marks the parameters as changed
        return normF;
    }

    private static final int FEATURE_BLOCK = 64;

    /**
     * Updates the allowed part of rows [from, to) of one parameter, consecutive allowed parts in one call; rows that
     * {@code grads} knows to be zero ({@link Gradients#isZeroRow}) read {@link #ZEROS} instead of their gradient
     * (a few KB that stay in L1, where the gradient rows would come from memory).
     */
    private void updateRows(Updater u, float[] p, float[] m, float[] v, Gradients grads, float[] g, int from, int to) {
        Partition part = cc.partition;
        int d = cc.d, w = cc.width;
        int runLo = -1, runEnd = -1;
        boolean runZero = false;
        for (int j = from; j <= to; j++) { // j = to: flush the last run
            int lo = j < to ? j * w + part.loModel(j) * d : -1, end = j < to ? j * w + part.hiModel(j) * d : -1;
            boolean zero = j < to && grads.isZeroRow(j);
            if (lo != runEnd || zero != runZero) {
                // the run's rows, in pieces of at most ZEROS.length when their gradients are known zeros
                for (int at = runLo; at >= 0 && at < runEnd; ) {
                    int len = runZero ? Math.min(ZEROS.length, runEnd - at) : runEnd - at;
                    u.update(p, m, v, runZero ? ZEROS : g, runZero ? -at : 0, at, len);
                    at += len;
                }
                runLo = lo;
                runZero = zero;
            }
            runEnd = end;
        }
    }

    /** Zero gradients, for rows known to be zero (the same bits as reading their zeros: Adam on +0). */
    private static final float[] ZEROS = new float[4096];

    /** One Adam update of p[off, off + len) and its moments with the gradients g[off + gShift, …). */
    private interface Updater {
        void update(float[] p, float[] m, float[] v, float[] g, int gShift, int off, int len);
    }

    /** Largest |moment| over the forbidden entries (exclusivity of the optimiser state; 0.0 when it holds). */
    public double maxForbiddenMoment() {
        Partition part = cc.partition;
        int d = cc.d, w = cc.width;
        double max = 0;
        for (int j = 0; j < part.nA() + part.nB(); j++) {
            int lo = part.loModel(j) * d, hi = part.hiModel(j) * d;
            for (int c = 0; c < w; c++) {
                if (c >= lo && c < hi) continue;
                for (float[] s : new float[][] {mEnc, vEnc, mDec, vDec}) max = Math.max(max, Math.abs(s[j * w + c]));
            }
        }
        return max;
    }
}
