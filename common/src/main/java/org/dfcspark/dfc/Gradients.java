package org.dfcspark.dfc;

import org.dfcspark.simd.VecOps;

/**
 * Gradients of the loss with respect to the crosscoder's parameters, in its internal layout (see {@link Crosscoder}).
 * Forbidden entries are exactly 0. With tied coupling both halves of a shared decoder (and of b_dec) hold the same
 * value, the gradient of the one underlying parameter, which {@link #normSquared} counts once.
 *
 * <p>Data-parallel training can compute one Gradients per worker, {@link #add} them and {@link #scale} by
 * 1/workers before {@link Adam#step}.
 */
public final class Gradients {
    final float[] encT;
    final float[] bEnc;
    final float[] dec;
    final float[] bDec;

    public Gradients(Crosscoder cc) {
        this.encT = new float[cc.encT.length];
        this.bEnc = new float[cc.bEnc.length];
        this.dec = new float[cc.dec.length];
        this.bDec = new float[cc.bDec.length];
    }

    /** Squared global L2 norm over all parameters (tied parameters counted once), for clipping. */
    public double normSquared(Crosscoder cc) {
        return normSquared(cc, 1);
    }

    /** As {@link #normSquared(Crosscoder)}, over {@code threads} threads (same result for any thread count). */
    double normSquared(Crosscoder cc, int threads) {
        int d = cc.d, w = cc.width, block = 256;
        boolean tied = cc.config().coupling() == Coupling.TIED;
        double[] partial = new double[Parallel.blocks(cc.dictSize, block)];
        Parallel.forBlocks(threads, partial.length, blk -> {
            double s = 0;
            for (int j = blk * block, end = Math.min(cc.dictSize, j + block); j < end; j++) {
                boolean once = tied && cc.partition.isShared(j);
                s += VecOps.sumSquares(encT, j * w, w) + VecOps.sumSquares(dec, j * w, once ? d : w);
            }
            partial[blk] = s;
        });
        double s = VecOps.sumSquares(bEnc, 0, bEnc.length) + VecOps.sumSquares(bDec, 0, tied ? d : w);
        for (double p : partial) s += p;
        return s;
    }

    public void add(Gradients o) {
        for (int t = 0; t < 4; t++) {
            float[] a = arrays()[t], b = o.arrays()[t];
            for (int i = 0; i < a.length; i++) a[i] += b[i];
        }
    }

    public void scale(float f) {
        if (f == 1f) return; // x · 1 = x for every float
        for (float[] a : arrays()) for (int i = 0; i < a.length; i++) a[i] *= f;
    }

    /** The paper's {@code W_enc} gradient layout (2, d, D). */
    public float[] wEncPaperLayout(Crosscoder cc) {
        return cc.paperEncLayout(encT);
    }

    public float[] wDec() {
        return dec.clone();
    }

    public float[] bEnc() {
        return bEnc.clone();
    }

    public float[] bDec() {
        return bDec.clone();
    }

    /** The live gradient arrays, in the order and layout of {@link Crosscoder#parameterArrays()} (for all-reduce). */
    public float[][] buffers() {
        return arrays();
    }

    public void zero() {
        for (float[] a : arrays()) java.util.Arrays.fill(a, 0f);
    }

    float[][] arrays() {
        return new float[][] {encT, bEnc, dec, bDec};
    }
}
