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
    private final int width;
    /**
     * Written by {@link BatchStep} with the gradients, while {@link #sparse}: feature j fired nowhere in the batch, so
     * its encoder and decoder rows are zero but were left as they were (a training step leaves most features'
     * rows alone; writing and then reading zeros was 4% of a sweep), and each feature's squared norm as
     * {@link #normSquared} sums it. Anything that reads the arrays themselves goes through {@link #dense}.
     */
    final boolean[] zeroRow;
    final double[] rowNormSquared;
    boolean sparse;

    public Gradients(Crosscoder cc) {
        this.encT = new float[cc.encT.length];
        this.bEnc = new float[cc.bEnc.length];
        this.dec = new float[cc.dec.length];
        this.bDec = new float[cc.bDec.length];
        this.width = cc.width;
        this.zeroRow = new boolean[cc.dictSize];
        this.rowNormSquared = new double[cc.dictSize];
    }

    /** Whether feature j's rows are known to be zero without being written (then Adam need not read them). */
    boolean isZeroRow(int j) {
        return sparse && zeroRow[j];
    }

    /** Writes the zeros of the rows left unwritten; the arrays are then the gradients as they are. */
    Gradients dense() {
        if (!sparse) return this;
        for (int j = 0; j < zeroRow.length; j++) {
            if (!zeroRow[j]) continue;
            java.util.Arrays.fill(encT, j * width, (j + 1) * width, 0f);
            java.util.Arrays.fill(dec, j * width, (j + 1) * width, 0f);
        }
        sparse = false;
        return this;
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
                s += sparse ? rowNormSquared[j] : rowNormSquared(encT, dec, j, w, tied && cc.partition.isShared(j) ? d : w);
            }
            partial[blk] = s;
        });
        double s = VecOps.sumSquares(bEnc, 0, bEnc.length) + VecOps.sumSquares(bDec, 0, tied ? d : w);
        for (double p : partial) s += p;
        return s;
    }

    /** Feature j's term of the squared norm: its encoder row and {@code decLength} values of its decoder row. */
    static double rowNormSquared(float[] encT, float[] dec, int j, int w, int decLength) {
        return VecOps.sumSquares(encT, j * w, w) + VecOps.sumSquares(dec, j * w, decLength);
    }

    public void add(Gradients o) {
        dense();
        o.dense();
        for (int t = 0; t < 4; t++) {
            float[] a = arrays()[t], b = o.arrays()[t];
            for (int i = 0; i < a.length; i++) a[i] += b[i];
        }
    }

    public void scale(float f) {
        if (f == 1f) return; // x · 1 = x for every float
        dense();
        for (float[] a : arrays()) for (int i = 0; i < a.length; i++) a[i] *= f;
    }

    /** The paper's {@code W_enc} gradient layout (2, d, D). */
    public float[] wEncPaperLayout(Crosscoder cc) {
        return cc.paperEncLayout(dense().encT);
    }

    public float[] wDec() {
        return dense().dec.clone();
    }

    public float[] bEnc() {
        return bEnc.clone();
    }

    public float[] bDec() {
        return bDec.clone();
    }

    /** The live gradient arrays, in the order and layout of {@link Crosscoder#parameterArrays()} (for all-reduce). */
    public float[][] buffers() {
        return dense().arrays();
    }

    public void zero() {
        for (float[] a : arrays()) java.util.Arrays.fill(a, 0f);
        sparse = false;
    }

    float[][] arrays() {
        return new float[][] {encT, bEnc, dec, bDec};
    }
}
