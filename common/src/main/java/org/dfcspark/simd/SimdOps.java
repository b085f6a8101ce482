package org.dfcspark.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link VecOps} kernels with the JDK Vector API (AVX2/AVX-512 on x86). Only loaded when the JVM runs with
 * {@code --add-modules jdk.incubator.vector} (bin/dfc and the test JVM do); otherwise VecOps uses its scalar loops.
 */
public final class SimdOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** {@link VecOps#PANEL} with the Vector API: two vectors of the preferred shape (one shape in the whole JVM, as
     * kernels mixing shapes pollute the type profiles C2 needs to keep vectors in registers). */
    public static final int PANEL = 2 * L;

    private SimdOps() {}

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

    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /**
     * {@link VecOps#panelProduct}: four rows × two vectors of sums in registers per pass over the panel.
     * The sums go out through {@code tile} with intrinsic stores only: handing a vector to a method that is not
     * inlined makes C2 box it inside the loop (measured: 6× slower).
     */
    public static void panelProduct(float[] panel, int po, int in, float[] x, int rows, float[] y, int yo, int ldy, int width) {
        float[] tile = new float[4 * VecOps.PANEL];
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
            for (int i = 0; i < in; i++) {
                int w = po + i * VecOps.PANEL;
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
            a00.intoArray(tile, 0);
            a01.intoArray(tile, L);
            a10.intoArray(tile, 2 * L);
            a11.intoArray(tile, 3 * L);
            a20.intoArray(tile, 4 * L);
            a21.intoArray(tile, 5 * L);
            a30.intoArray(tile, 6 * L);
            a31.intoArray(tile, 7 * L);
            for (int k = 0; k < 4; k++) System.arraycopy(tile, k * VecOps.PANEL, y, (r + k) * ldy + yo, width);
        }
        for (; r < rows; r++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            int x0 = r * in;
            for (int i = 0; i < in; i++) {
                int w = po + i * VecOps.PANEL;
                FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
                a0 = FloatVector.fromArray(S, panel, w).fma(b, a0);
                a1 = FloatVector.fromArray(S, panel, w + L).fma(b, a1);
            }
            a0.intoArray(tile, 0);
            a1.intoArray(tile, L);
            System.arraycopy(tile, 0, y, r * ldy + yo, width);
        }
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

    /** First index i in [from, to) with v[i] > t, or −1. */
    public static int firstGreater(float[] v, int from, int to, float t) {
        int i = from;
        for (; i + L <= to; i += L) {
            if (FloatVector.fromArray(S, v, i).compare(VectorOperators.GT, t).anyTrue()) break;
        }
        for (; i < to; i++) if (v[i] > t) return i;
        return -1;
    }
}
