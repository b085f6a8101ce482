package org.dfcspark.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link VecOps} kernels with the JDK Vector API (AVX2/AVX-512 on x86). Only loaded when the JVM runs with
 * {@code --add-modules jdk.incubator.vector} (bin/dfc and the test JVM do); otherwise VecOps uses its scalar loops.
 */
public final class SimdOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    /** {@link VecOps#PANEL} with the Vector API: two vectors of the preferred shape (one shape in the whole JVM, as
     * kernels mixing shapes pollute the type profiles C2 needs to keep vectors in registers). */
    public static final int PANEL = 2 * L;

    /** Doubles of the same bit size: a float vector converts into two of them (parts 0 and 1). */
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private SimdOps() {}

    /** {@link VecOps#sumSquares}: two double vectors of partial sums (a float vector's low and high halves). */
    public static double sumSquares(float[] x, int xo, int n) {
        DoubleVector lo = DoubleVector.zero(DS), hi = DoubleVector.zero(DS);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector f = FloatVector.fromArray(S, x, xo + i);
            DoubleVector a = (DoubleVector) f.convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector b = (DoubleVector) f.convertShape(VectorOperators.F2D, DS, 1);
            lo = a.fma(a, lo);
            hi = b.fma(b, hi);
        }
        double s = 0;
        for (int l = 0; l < DS.length(); l++) s += lo.lane(l) + hi.lane(l); // a fixed order (reduceLanes has none)
        for (; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /** {@link VecOps#sumSquaredDifferences}: as {@link #sumSquares}, on the differences taken in double. */
    public static double sumSquaredDifferences(float[] a, int ao, float[] b, int bo, int n) {
        DoubleVector lo = DoubleVector.zero(DS), hi = DoubleVector.zero(DS);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector fa = FloatVector.fromArray(S, a, ao + i), fb = FloatVector.fromArray(S, b, bo + i);
            DoubleVector e0 = ((DoubleVector) fa.convertShape(VectorOperators.F2D, DS, 0)).sub((DoubleVector) fb.convertShape(VectorOperators.F2D, DS, 0));
            DoubleVector e1 = ((DoubleVector) fa.convertShape(VectorOperators.F2D, DS, 1)).sub((DoubleVector) fb.convertShape(VectorOperators.F2D, DS, 1));
            lo = e0.fma(e0, lo);
            hi = e1.fma(e1, hi);
        }
        double s = 0;
        for (int l = 0; l < DS.length(); l++) s += lo.lane(l) + hi.lane(l);
        for (; i < n; i++) {
            double e = (double) a[ao + i] - b[bo + i];
            s += e * e;
        }
        return s;
    }

    /** {@link VecOps#sumSquaredDeviations}: as {@link #sumSquares}, on x − mean taken in double. */
    public static double sumSquaredDeviations(float[] x, int xo, double[] mean, int mo, int n) {
        DoubleVector lo = DoubleVector.zero(DS), hi = DoubleVector.zero(DS);
        int i = 0, half = DS.length();
        for (; i + L <= n; i += L) {
            FloatVector f = FloatVector.fromArray(S, x, xo + i);
            DoubleVector c0 = ((DoubleVector) f.convertShape(VectorOperators.F2D, DS, 0)).sub(DoubleVector.fromArray(DS, mean, mo + i));
            DoubleVector c1 = ((DoubleVector) f.convertShape(VectorOperators.F2D, DS, 1)).sub(DoubleVector.fromArray(DS, mean, mo + i + half));
            lo = c0.fma(c0, lo);
            hi = c1.fma(c1, hi);
        }
        double s = 0;
        for (int l = 0; l < DS.length(); l++) s += lo.lane(l) + hi.lane(l);
        for (; i < n; i++) {
            double c = x[xo + i] - mean[mo + i];
            s += c * c;
        }
        return s;
    }

    /** {@link VecOps#adam}: the same operations in the same order on each lane, so the same bits as the scalar loop. */
    public static void adam(float[] p, float[] m, float[] v, float[] g, int gShift, int off, int len, float coef, float oneMinusB1, float b2,
                            float oneMinusB2, float stepSize, float b2c, float eps) {
        // the scalars as vectors once: the scalar overloads (mul(float), ...) add a layer of calls that C2 sometimes
        // declines to inline into this loop, and then every vector is boxed and stored by the slow path (seen in sweeps)
        FloatVector coefV = FloatVector.broadcast(S, coef), oneMinusB1V = FloatVector.broadcast(S, oneMinusB1);
        FloatVector b2V = FloatVector.broadcast(S, b2), oneMinusB2V = FloatVector.broadcast(S, oneMinusB2);
        FloatVector stepSizeV = FloatVector.broadcast(S, stepSize), b2cV = FloatVector.broadcast(S, b2c), epsV = FloatVector.broadcast(S, eps);
        int i = off, end = off + len;
        for (; i + L <= end; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i + gShift).mul(coefV);
            FloatVector mo = FloatVector.fromArray(S, m, i);
            FloatVector mi = mo.add(gi.sub(mo).mul(oneMinusB1V));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2V).add(gi.mul(oneMinusB2V).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector denom = vi.lanewise(VectorOperators.SQRT).div(b2cV).add(epsV);
            FloatVector.fromArray(S, p, i).sub(mi.div(denom).mul(stepSizeV)).intoArray(p, i);
        }
        VecOps.scalarAdam(p, m, v, g, gShift, i, end - i, coef, oneMinusB1, b2, oneMinusB2, stepSize, b2c, eps);
    }

    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
        }
        for (; i + L <= n; i += L) acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** {@link VecOps#scale}. */
    public static void scale(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).mul(av).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = alpha * x[xo + i];
    }

    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /**
     * {@link VecOps#sumRows}: eight vectors of y at a time held in registers through all the terms (then one vector,
     * then single values as {@link #scale} and {@link #axpy} do them).
     */
    public static void sumRows(float[] coef, int[] entry, int[] row, int from, int to, float[] x, int xo, int ldx, float[] y, int yo, int n,
                               boolean first) {
        if (from >= to) return;
        int i = 0;
        for (; i + 8 * L <= n; i += 8 * L) sumRows8(coef, entry, row, from, to, x, xo + i, ldx, y, yo + i, first);
        for (; i + L <= n; i += L) {
            int a = from;
            FloatVector acc;
            if (first) {
                acc = FloatVector.fromArray(S, x, row[a] * ldx + xo + i).mul(FloatVector.broadcast(S, coef[entry[a]]));
                a++;
            } else {
                acc = FloatVector.fromArray(S, y, yo + i);
            }
            for (; a < to; a++) acc = FloatVector.fromArray(S, x, row[a] * ldx + xo + i).fma(FloatVector.broadcast(S, coef[entry[a]]), acc);
            acc.intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            for (int a = from; a < to; a++) {
                float t = coef[entry[a]] * x[row[a] * ldx + xo + i];
                y[yo + i] = a == from && first ? t : y[yo + i] + t;
            }
        }
    }

    private static void sumRows8(float[] coef, int[] entry, int[] row, int from, int to, float[] x, int xo, int ldx, float[] y, int yo, boolean first) {
        int a = from;
        FloatVector y0, y1, y2, y3, y4, y5, y6, y7;
        if (first) { // the first term is a product, as scale gives it
            FloatVector c = FloatVector.broadcast(S, coef[entry[a]]);
            int at = row[a] * ldx + xo;
            y0 = FloatVector.fromArray(S, x, at).mul(c);
            y1 = FloatVector.fromArray(S, x, at + L).mul(c);
            y2 = FloatVector.fromArray(S, x, at + 2 * L).mul(c);
            y3 = FloatVector.fromArray(S, x, at + 3 * L).mul(c);
            y4 = FloatVector.fromArray(S, x, at + 4 * L).mul(c);
            y5 = FloatVector.fromArray(S, x, at + 5 * L).mul(c);
            y6 = FloatVector.fromArray(S, x, at + 6 * L).mul(c);
            y7 = FloatVector.fromArray(S, x, at + 7 * L).mul(c);
            a++;
        } else {
            y0 = FloatVector.fromArray(S, y, yo);
            y1 = FloatVector.fromArray(S, y, yo + L);
            y2 = FloatVector.fromArray(S, y, yo + 2 * L);
            y3 = FloatVector.fromArray(S, y, yo + 3 * L);
            y4 = FloatVector.fromArray(S, y, yo + 4 * L);
            y5 = FloatVector.fromArray(S, y, yo + 5 * L);
            y6 = FloatVector.fromArray(S, y, yo + 6 * L);
            y7 = FloatVector.fromArray(S, y, yo + 7 * L);
        }
        for (; a < to; a++) {
            FloatVector c = FloatVector.broadcast(S, coef[entry[a]]);
            int at = row[a] * ldx + xo;
            y0 = FloatVector.fromArray(S, x, at).fma(c, y0);
            y1 = FloatVector.fromArray(S, x, at + L).fma(c, y1);
            y2 = FloatVector.fromArray(S, x, at + 2 * L).fma(c, y2);
            y3 = FloatVector.fromArray(S, x, at + 3 * L).fma(c, y3);
            y4 = FloatVector.fromArray(S, x, at + 4 * L).fma(c, y4);
            y5 = FloatVector.fromArray(S, x, at + 5 * L).fma(c, y5);
            y6 = FloatVector.fromArray(S, x, at + 6 * L).fma(c, y6);
            y7 = FloatVector.fromArray(S, x, at + 7 * L).fma(c, y7);
        }
        y0.intoArray(y, yo);
        y1.intoArray(y, yo + L);
        y2.intoArray(y, yo + 2 * L);
        y3.intoArray(y, yo + 3 * L);
        y4.intoArray(y, yo + 4 * L);
        y5.intoArray(y, yo + 5 * L);
        y6.intoArray(y, yo + 6 * L);
        y7.intoArray(y, yo + 7 * L);
    }

    /** Rows whose partial sums a pass keeps in registers: 8 rows × 2 vectors = 16 accumulators where the machine has
     * 32 vector registers (AVX-512), 4 rows where it has 16 (AVX2: 8 accumulators, the weights and a broadcast). */
    public static final int ROW_BLOCK = S.vectorBitSize() >= 512 ? 8 : 4;
    /** Inner length of a pass: a long panel (a down projection's 4864 inputs × 32 outputs = 622 KB) is cut into
     * blocks of at most this many inputs, so that the rows after the first read the block from L1/L2 again. */
    static final int K_BLOCK = 512;
    /**
     * {@link VecOps#panelProduct}: for each block of inputs, passes of {@link #ROW_BLOCK} rows × two vectors of sums
     * in registers, then four rows, then one. Every row's sums are formed in the same order whatever pass it falls
     * in (one fused multiply-add per input, inputs in order), so a row's result does not depend on the other rows.
     * Sums go in and out through arrays with intrinsic loads and stores only: handing a vector to a method that is
     * not inlined makes C2 box it inside the loop (measured: 6× slower).
     */
    public static void panelProduct(float[] panel, int po, int in, float[] x, int xo, int rows, float[] y, int yo, int ldy, int width,
                                    float[] sums) {
        panelSums(panel, po, in, x, xo, rows, sums);
        for (int r = 0; r < rows; r++) System.arraycopy(sums, r * PANEL, y, r * ldy + yo, width);
    }

    /**
     * {@link #panelProduct} into {@code sums} (rows × PANEL, all PANEL outputs of each row), for callers that use the
     * tile as it is. The callers own their scratch: a ThreadLocal lookup costs more than a small product on a thread
     * with many thread-locals, such as a Spark executor's (measured in the sweep).
     */
    public static void panelSums(float[] panel, int po, int in, float[] x, int xo, int rows, float[] sums) {
        panelSums(panel, po, in, x, xo, rows, sums, 0, in);
    }

    /**
     * {@link #panelSums} over the inputs [lo, hi) only: the product where every other input's weight is zero (a
     * feature's forbidden half). The same bits: a sum that starts at +0 stays +0 through zero terms, and a non-zero
     * sum is unchanged by them, so leaving them out before or after the others changes nothing.
     */
    public static void panelSums(float[] panel, int po, int in, float[] x, int xo, int rows, float[] sums, int lo, int hi) {
        int len = hi - lo;
        int blocks = Math.max(1, (len + K_BLOCK - 1) / K_BLOCK);
        for (int b = 0; b < blocks; b++) {
            int from = lo + (int) ((long) len * b / blocks), to = lo + (int) ((long) len * (b + 1) / blocks);
            boolean first = b == 0;
            int r = 0;
            if (ROW_BLOCK == 8) for (; r + 8 <= rows; r += 8) eightRows(panel, po, in, x, xo + r * in, r, from, to, sums, first);
            for (; r + 4 <= rows; r += 4) fourRows(panel, po, in, x, xo + r * in, r, from, to, sums, first);
            for (; r < rows; r++) oneRow(panel, po, in, x, xo + r * in, r, from, to, sums, first);
        }
    }

    private static FloatVector sumsAt(float[] sums, int at, boolean first) {
        return first ? FloatVector.zero(S) : FloatVector.fromArray(S, sums, at);
    }

    private static void eightRows(float[] panel, int po, int in, float[] x, int x0, int r, int from, int to, float[] sums, boolean first) {
        int s = r * PANEL;
        FloatVector a00 = sumsAt(sums, s, first), a01 = sumsAt(sums, s + L, first);
        FloatVector a10 = sumsAt(sums, s + 2 * L, first), a11 = sumsAt(sums, s + 3 * L, first);
        FloatVector a20 = sumsAt(sums, s + 4 * L, first), a21 = sumsAt(sums, s + 5 * L, first);
        FloatVector a30 = sumsAt(sums, s + 6 * L, first), a31 = sumsAt(sums, s + 7 * L, first);
        FloatVector a40 = sumsAt(sums, s + 8 * L, first), a41 = sumsAt(sums, s + 9 * L, first);
        FloatVector a50 = sumsAt(sums, s + 10 * L, first), a51 = sumsAt(sums, s + 11 * L, first);
        FloatVector a60 = sumsAt(sums, s + 12 * L, first), a61 = sumsAt(sums, s + 13 * L, first);
        FloatVector a70 = sumsAt(sums, s + 14 * L, first), a71 = sumsAt(sums, s + 15 * L, first);
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in, x6 = x5 + in, x7 = x6 + in;
        for (int i = from; i < to; i++) {
            int w = po + i * PANEL;
            FloatVector w0 = FloatVector.fromArray(S, panel, w), w1 = FloatVector.fromArray(S, panel, w + L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(S, x[x1 + i]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(S, x[x2 + i]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(S, x[x3 + i]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
            b = FloatVector.broadcast(S, x[x4 + i]);
            a40 = w0.fma(b, a40);
            a41 = w1.fma(b, a41);
            b = FloatVector.broadcast(S, x[x5 + i]);
            a50 = w0.fma(b, a50);
            a51 = w1.fma(b, a51);
            b = FloatVector.broadcast(S, x[x6 + i]);
            a60 = w0.fma(b, a60);
            a61 = w1.fma(b, a61);
            b = FloatVector.broadcast(S, x[x7 + i]);
            a70 = w0.fma(b, a70);
            a71 = w1.fma(b, a71);
        }
        a00.intoArray(sums, s);
        a01.intoArray(sums, s + L);
        a10.intoArray(sums, s + 2 * L);
        a11.intoArray(sums, s + 3 * L);
        a20.intoArray(sums, s + 4 * L);
        a21.intoArray(sums, s + 5 * L);
        a30.intoArray(sums, s + 6 * L);
        a31.intoArray(sums, s + 7 * L);
        a40.intoArray(sums, s + 8 * L);
        a41.intoArray(sums, s + 9 * L);
        a50.intoArray(sums, s + 10 * L);
        a51.intoArray(sums, s + 11 * L);
        a60.intoArray(sums, s + 12 * L);
        a61.intoArray(sums, s + 13 * L);
        a70.intoArray(sums, s + 14 * L);
        a71.intoArray(sums, s + 15 * L);
    }

    private static void fourRows(float[] panel, int po, int in, float[] x, int x0, int r, int from, int to, float[] sums, boolean first) {
        int s = r * PANEL;
        FloatVector a00 = sumsAt(sums, s, first), a01 = sumsAt(sums, s + L, first);
        FloatVector a10 = sumsAt(sums, s + 2 * L, first), a11 = sumsAt(sums, s + 3 * L, first);
        FloatVector a20 = sumsAt(sums, s + 4 * L, first), a21 = sumsAt(sums, s + 5 * L, first);
        FloatVector a30 = sumsAt(sums, s + 6 * L, first), a31 = sumsAt(sums, s + 7 * L, first);
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        for (int i = from; i < to; i++) {
            int w = po + i * PANEL;
            FloatVector w0 = FloatVector.fromArray(S, panel, w), w1 = FloatVector.fromArray(S, panel, w + L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(S, x[x1 + i]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(S, x[x2 + i]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(S, x[x3 + i]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
        }
        a00.intoArray(sums, s);
        a01.intoArray(sums, s + L);
        a10.intoArray(sums, s + 2 * L);
        a11.intoArray(sums, s + 3 * L);
        a20.intoArray(sums, s + 4 * L);
        a21.intoArray(sums, s + 5 * L);
        a30.intoArray(sums, s + 6 * L);
        a31.intoArray(sums, s + 7 * L);
    }

    private static void oneRow(float[] panel, int po, int in, float[] x, int x0, int r, int from, int to, float[] sums, boolean first) {
        int s = r * PANEL;
        FloatVector a0 = sumsAt(sums, s, first), a1 = sumsAt(sums, s + L, first);
        for (int i = from; i < to; i++) {
            int w = po + i * PANEL;
            FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
            a0 = FloatVector.fromArray(S, panel, w).fma(b, a0);
            a1 = FloatVector.fromArray(S, panel, w + L).fma(b, a1);
        }
        a0.intoArray(sums, s);
        a1.intoArray(sums, s + L);
    }

    /** {@link VecOps#expShifted}: exp through the JDK's vector math (SVML on x86). */
    public static float expShifted(float[] a, int from, int n, float shift, boolean store) {
        FloatVector sv = FloatVector.broadcast(S, shift), acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = FloatVector.fromArray(S, a, from + i).sub(sv).lanewise(VectorOperators.EXP);
            if (store) e.intoArray(a, from + i);
            acc = acc.add(e);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(a[from + i] - shift);
            if (store) a[from + i] = e;
            s += e;
        }
        return s;
    }

    /** {@link VecOps#siluMul}. */
    public static void siluMul(float[] gate, float[] up, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            g.div(one.add(g.neg().lanewise(VectorOperators.EXP))).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) gate[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
    }

    /** Lane l holds the int bits 1 << l (as a float vector, for a blend that keeps bit patterns). */
    private static final FloatVector LANE_BITS;
    static {
        int[] bits = new int[L];
        for (int l = 0; l < L; l++) bits[l] = 1 << l;
        LANE_BITS = IntVector.fromArray(IS, bits, 0).reinterpretAsFloats();
    }

    /**
     * A mask as an int, lane l at bit l. JDK 17 has no intrinsic for {@code VectorMask.toLong}; a blend of the lane
     * bits and an OR reduction are both intrinsics.
     */
    private static int maskBits(VectorMask<Float> m) {
        return ((FloatVector) FloatVector.zero(S).blend(LANE_BITS, m)).reinterpretAsInts().reduceLanes(VectorOperators.OR);
    }

    /** {@link VecOps#max}: four running maxima (one would wait on each max's latency). */
    public static float max(float[] v, int from, int n) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            m0 = m0.max(FloatVector.fromArray(S, v, from + i));
            m1 = m1.max(FloatVector.fromArray(S, v, from + i + L));
            m2 = m2.max(FloatVector.fromArray(S, v, from + i + 2 * L));
            m3 = m3.max(FloatVector.fromArray(S, v, from + i + 3 * L));
        }
        for (; i + L <= n; i += L) m0 = m0.max(FloatVector.fromArray(S, v, from + i));
        float r = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, v[from + i]);
        return r;
    }

    /** {@link VecOps#countGreater}: a compare and a blended add per vector, two running counts, no branch. */
    public static int countGreater(float[] v, int from, int to, float t) {
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f), tv = FloatVector.broadcast(S, t), c0 = zero, c1 = zero;
        int i = from;
        for (; i + 2 * L <= to; i += 2 * L) {
            c0 = c0.add(zero.blend(one, FloatVector.fromArray(S, v, i).compare(VectorOperators.GT, tv)));
            c1 = c1.add(zero.blend(one, FloatVector.fromArray(S, v, i + L).compare(VectorOperators.GT, tv)));
        }
        int n = (int) c0.add(c1).reduceLanes(VectorOperators.ADD); // whole numbers below 2^24: exact in any order
        for (; i < to; i++) n += v[i] > t ? 1 : 0;
        return n;
    }

    /** Lanes per vector of the preferred shape (16 with AVX-512). */
    public static final int LANES = L;
    // 16 × 16 transposition (only with 16 lanes): the stage of h swaps the lanes with bit h set between vectors i and i | h
    private static final float[] NEGATIVE_ZEROS = new float[16];
    static {
        java.util.Arrays.fill(NEGATIVE_ZEROS, -0f);
    }
    private static final VectorShuffle<Float> SWAP1 = L == 16 ? VectorShuffle.fromOp(S, i -> i ^ 1) : null;
    private static final VectorShuffle<Float> SWAP2 = L == 16 ? VectorShuffle.fromOp(S, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> SWAP4 = L == 16 ? VectorShuffle.fromOp(S, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> SWAP8 = L == 16 ? VectorShuffle.fromOp(S, i -> i ^ 8) : null;
    private static final VectorMask<Float> HI1 = L == 16 ? VectorMask.fromLong(S, 0xAAAAL) : null, LO1 = L == 16 ? HI1.not() : null;
    private static final VectorMask<Float> HI2 = L == 16 ? VectorMask.fromLong(S, 0xCCCCL) : null, LO2 = L == 16 ? HI2.not() : null;
    private static final VectorMask<Float> HI4 = L == 16 ? VectorMask.fromLong(S, 0xF0F0L) : null, LO4 = L == 16 ? HI4.not() : null;
    private static final VectorMask<Float> HI8 = L == 16 ? VectorMask.fromLong(S, 0xFF00L) : null, LO8 = L == 16 ? HI8.not() : null;

    /**
     * {@code dst[dOff + l·ldd + i] = src[sOff + i·lds + l] + add[ao + i]} for i, l < 16 ({@code add} null: nothing added):
     * a 16 × 16 block transposed in registers, with vector loads and stores (written out one value at a time, the
     * encoder's tile of sums took 8% of a sweep). Only with {@link #LANES} = 16; {@code scratch} holds 256 floats.
     * Every value is one float addition, as in the scalar loop. In eight small parts, each compiled on its own: C2
     * inlines a method's vector operations while its budget lasts, and those left over run as calls on boxed vectors
     * (with ~180 operations in one method, and even 72, the last stores did: up to 10% of a sweep).
     */
    public static void transpose16(float[] src, int sOff, int lds, float[] dst, int dOff, int ldd, float[] add, int ao, float[] scratch) {
        swap8(src, sOff, lds, scratch, 0);
        swap8(src, sOff, lds, scratch, 4);
        swap4(scratch, 0);
        swap4(scratch, 8);
        for (int q = 0; q < 16; q += 4) swap21(scratch, q, dst, dOff + q * ldd, ldd, add, ao);
    }

    /** Stage 8 for rows i and i + 8, i in [i0, i0 + 4): the lanes with bit 3 set change places; into out's rows. */
    private static void swap8(float[] src, int sOff, int lds, float[] out, int i0) {
        FloatVector t;
        FloatVector a0 = FloatVector.fromArray(S, src, sOff + (i0 + 0) * lds), b0 = FloatVector.fromArray(S, src, sOff + (i0 + 8) * lds);
        FloatVector a1 = FloatVector.fromArray(S, src, sOff + (i0 + 1) * lds), b1 = FloatVector.fromArray(S, src, sOff + (i0 + 9) * lds);
        FloatVector a2 = FloatVector.fromArray(S, src, sOff + (i0 + 2) * lds), b2 = FloatVector.fromArray(S, src, sOff + (i0 + 10) * lds);
        FloatVector a3 = FloatVector.fromArray(S, src, sOff + (i0 + 3) * lds), b3 = FloatVector.fromArray(S, src, sOff + (i0 + 11) * lds);
        t = a0.blend(b0.rearrange(SWAP8), HI8); b0 = b0.blend(a0.rearrange(SWAP8), LO8); a0 = t;
        t = a1.blend(b1.rearrange(SWAP8), HI8); b1 = b1.blend(a1.rearrange(SWAP8), LO8); a1 = t;
        t = a2.blend(b2.rearrange(SWAP8), HI8); b2 = b2.blend(a2.rearrange(SWAP8), LO8); a2 = t;
        t = a3.blend(b3.rearrange(SWAP8), HI8); b3 = b3.blend(a3.rearrange(SWAP8), LO8); a3 = t;
        a0.intoArray(out, (i0 + 0) * 16);
        b0.intoArray(out, (i0 + 8) * 16);
        a1.intoArray(out, (i0 + 1) * 16);
        b1.intoArray(out, (i0 + 9) * 16);
        a2.intoArray(out, (i0 + 2) * 16);
        b2.intoArray(out, (i0 + 10) * 16);
        a3.intoArray(out, (i0 + 3) * 16);
        b3.intoArray(out, (i0 + 11) * 16);
    }

    /** Stage 4 in place for rows base + i and base + i + 4, i < 4. */
    private static void swap4(float[] rows, int base) {
        FloatVector t;
        FloatVector a0 = FloatVector.fromArray(S, rows, (base + 0) * 16), b0 = FloatVector.fromArray(S, rows, (base + 4) * 16);
        FloatVector a1 = FloatVector.fromArray(S, rows, (base + 1) * 16), b1 = FloatVector.fromArray(S, rows, (base + 5) * 16);
        FloatVector a2 = FloatVector.fromArray(S, rows, (base + 2) * 16), b2 = FloatVector.fromArray(S, rows, (base + 6) * 16);
        FloatVector a3 = FloatVector.fromArray(S, rows, (base + 3) * 16), b3 = FloatVector.fromArray(S, rows, (base + 7) * 16);
        t = a0.blend(b0.rearrange(SWAP4), HI4); b0 = b0.blend(a0.rearrange(SWAP4), LO4); a0 = t;
        t = a1.blend(b1.rearrange(SWAP4), HI4); b1 = b1.blend(a1.rearrange(SWAP4), LO4); a1 = t;
        t = a2.blend(b2.rearrange(SWAP4), HI4); b2 = b2.blend(a2.rearrange(SWAP4), LO4); a2 = t;
        t = a3.blend(b3.rearrange(SWAP4), HI4); b3 = b3.blend(a3.rearrange(SWAP4), LO4); a3 = t;
        a0.intoArray(rows, (base + 0) * 16);
        b0.intoArray(rows, (base + 4) * 16);
        a1.intoArray(rows, (base + 1) * 16);
        b1.intoArray(rows, (base + 5) * 16);
        a2.intoArray(rows, (base + 2) * 16);
        b2.intoArray(rows, (base + 6) * 16);
        a3.intoArray(rows, (base + 3) * 16);
        b3.intoArray(rows, (base + 7) * 16);
    }

    /** Stages 2 and 1 on rows q .. q + 3, then + add, into four rows of dst. */
    private static void swap21(float[] rows, int q, float[] dst, int dOff, int ldd, float[] add, int ao) {
        FloatVector t;
        FloatVector v0 = FloatVector.fromArray(S, rows, (q + 0) * 16);
        FloatVector v1 = FloatVector.fromArray(S, rows, (q + 1) * 16);
        FloatVector v2 = FloatVector.fromArray(S, rows, (q + 2) * 16);
        FloatVector v3 = FloatVector.fromArray(S, rows, (q + 3) * 16);
        t = v0.blend(v2.rearrange(SWAP2), HI2); v2 = v2.blend(v0.rearrange(SWAP2), LO2); v0 = t;
        t = v1.blend(v3.rearrange(SWAP2), HI2); v3 = v3.blend(v1.rearrange(SWAP2), LO2); v1 = t;
        t = v0.blend(v1.rearrange(SWAP1), HI1); v1 = v1.blend(v0.rearrange(SWAP1), LO1); v0 = t;
        t = v2.blend(v3.rearrange(SWAP1), HI1); v3 = v3.blend(v2.rearrange(SWAP1), LO1); v2 = t;
        // no add: + −0, which is x for every x, signed zeros too (loaded from an array either way: a vector chosen by a
        // condition is boxed by C2 here, and so was everything after it)
        FloatVector b = add == null ? FloatVector.fromArray(S, NEGATIVE_ZEROS, 0) : FloatVector.fromArray(S, add, ao);
        v0.add(b).intoArray(dst, dOff + 0 * ldd);
        v1.add(b).intoArray(dst, dOff + 1 * ldd);
        v2.add(b).intoArray(dst, dOff + 2 * ldd);
        v3.add(b).intoArray(dst, dOff + 3 * ldd);
    }

    /** {@link VecOps#collectGreater}. */
    public static int collectGreater(float[] v, int from, int to, float t, int[] index, float[] value, int limit) {
        FloatVector tv = FloatVector.broadcast(S, t);
        int n = 0, i = from;
        for (; i + L <= to; i += L) {
            VectorMask<Float> m = FloatVector.fromArray(S, v, i).compare(VectorOperators.GT, tv);
            if (!m.anyTrue()) continue;
            // one iteration per hit, not per lane: a branch per lane mispredicts on every hit
            for (int bits = maskBits(m); bits != 0; bits &= bits - 1) {
                int at = i + Integer.numberOfTrailingZeros(bits);
                index[n] = at - from;
                value[n++] = v[at];
            }
            if (n > limit) return n;
        }
        for (; i < to && n <= limit; i++) {
            if (v[i] > t) {
                index[n] = i - from;
                value[n++] = v[i];
            }
        }
        return n;
    }

    /** Up to this many values, {@link #kthLargestPositive} ranks every value against every other (n²/16 vector steps,
     *  no reductions); above, it searches the bits (31 counts, each ending in a reduction that the next waits on). */
    private static final int RANK_LIMIT = 64;

    /** {@link VecOps#kthLargestPositive}. */
    public static float kthLargestPositive(float[] a, int n, int k) {
        int padded = (n + L - 1) / L * L;
        java.util.Arrays.fill(a, n, padded, 0f); // zeros: above none of the values, and ranked below k of them
        return n <= RANK_LIMIT ? kthByRank(a, n, padded, k) : kthByBits(a, padded, k);
    }

    /**
     * Each value's rank (how many values are greater) counted on vector lanes; the k-th largest is the smallest value
     * ranked below k (every value above it is, and no value below it is).
     */
    private static float kthByRank(float[] a, int n, int padded, int k) {
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f), inf = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        FloatVector kth = inf;
        for (int i = 0; i < padded; i += L) {
            FloatVector v = FloatVector.fromArray(S, a, i), r0 = zero, r1 = zero;
            int j = 0;
            for (; j + 1 < n; j += 2) { // two running counts: each add waits on the one before
                r0 = r0.add(zero.blend(one, v.compare(VectorOperators.LT, FloatVector.broadcast(S, a[j]))));
                r1 = r1.add(zero.blend(one, v.compare(VectorOperators.LT, FloatVector.broadcast(S, a[j + 1]))));
            }
            if (j < n) r0 = r0.add(zero.blend(one, v.compare(VectorOperators.LT, FloatVector.broadcast(S, a[j]))));
            kth = kth.min(inf.blend(v, r0.add(r1).compare(VectorOperators.LT, FloatVector.broadcast(S, (float) k))));
        }
        return kth.reduceLanes(VectorOperators.MIN);
    }

    /** The bits of the k-th largest value from the highest (positive floats order like their bits), one count each. */
    private static float kthByBits(float[] a, int padded, int k) {
        IntVector one = IntVector.broadcast(IS, 1);
        int kth = 0;
        for (int bit = 30; bit >= 0; bit--) {
            IntVector candidate = IntVector.broadcast(IS, kth | (1 << bit));
            IntVector count = IntVector.zero(IS);
            for (int i = 0; i < padded; i += L) {
                VectorMask<Integer> ge = FloatVector.fromArray(S, a, i).reinterpretAsInts().compare(VectorOperators.GE, candidate);
                count = count.add(one, ge);
            }
            if (count.reduceLanes(VectorOperators.ADD) >= k) kth |= 1 << bit;
        }
        return Float.intBitsToFloat(kth);
    }
}
