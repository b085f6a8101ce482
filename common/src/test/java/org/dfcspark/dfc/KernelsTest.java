package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.dfcspark.simd.SimdOps;
import org.dfcspark.simd.VecOps;
import org.junit.jupiter.api.Test;

/** The vectorised kernels agree with the scalar fallback; the libtorch product agrees with a plain loop. */
class KernelsTest {

    /** Adam with the Vector API: the scalar loop's bits on every lane and in the tail; sums of squares to 1e-12. */
    @Test
    void vectorAdamHasTheScalarBitsAndSumsOfSquaresAgree() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[] {1, 15, 16, 33, 257, 1000}) {
            float[] p = new float[n + 3], m = new float[n + 3], v = new float[n + 3], g = new float[n + 3];
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) r.nextGaussian();
                m[i] = (float) r.nextGaussian() * 1e-2f;
                v[i] = (float) r.nextDouble() * 1e-3f;
                g[i] = i % 7 == 0 ? 0f : (float) r.nextGaussian() * 1e-2f;
            }
            float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
            for (int t = 0; t < 3; t++) {
                VecOps.scalarAdam(p, m, v, g, 0, 3, n, 0.7f, 0.1f, 0.999f, 0.001f, 1e-3f / 0.271f, 0.0447f, 1e-8f);
                SimdOps.adam(p2, m2, v2, g, 0, 3, n, 0.7f, 0.1f, 0.999f, 0.001f, 1e-3f / 0.271f, 0.0447f, 1e-8f);
            }
            assertArrayEquals(p, p2, "params n=" + n);
            assertArrayEquals(m, m2, "first moments n=" + n);
            assertArrayEquals(v, v2, "second moments n=" + n);
            double plain = 0;
            for (int i = 2; i < 2 + n; i++) plain += (double) p[i] * p[i];
            assertEquals(plain, SimdOps.sumSquares(p, 2, n), 1e-12 * plain, "sum of squares n=" + n);
        }
    }

    @Test
    void simdAndScalarKernelsAgree() {
        assertTrue(VecOps.SIMD, "the test JVM runs with --add-modules jdk.incubator.vector");
        SplittableRandom r = new SplittableRandom(1);
        float[] a = new float[1100], b = new float[1100];
        for (int i = 0; i < a.length; i++) { a[i] = (float) r.nextGaussian(); b[i] = (float) r.nextGaussian(); }
        for (int n : new int[] {0, 1, 7, 16, 33, 1024, 1037}) {
            assertEquals(VecOps.scalarDot(a, 3, b, 50, n), SimdOps.dot(a, 3, b, 50, n), 1e-4 * Math.max(1, n), "dot n=" + n);
            float[] y1 = b.clone(), y2 = b.clone();
            VecOps.scalarAxpy(0.37f, a, 5, y1, 20, n);
            SimdOps.axpy(0.37f, a, 5, y2, 20, n);
            for (int i = 0; i < y1.length; i++) assertEquals(y1[i], y2[i], 1e-6f, "axpy n=" + n);
        }
        // the decode step's panel product: 1..19 rows (the 8- and 4-row passes and single rows), full and partial
        // panels, inputs within one block and over several blocks (SimdOps.K_BLOCK)
        int p = VecOps.PANEL;
        for (int in : new int[] {37, 1300}) {
            float[] panel = new float[3 + in * p], x = new float[19 * in];
            for (int i = 0; i < panel.length; i++) panel[i] = (float) r.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int rows = 1; rows <= 19; rows++) {
                for (int width : new int[] {p, 5}) {
                    float[] y1 = new float[rows * 40], y2 = new float[rows * 40];
                    VecOps.scalarPanelProduct(panel, 3, in, x, rows, y1, 2, 40, width);
                    SimdOps.panelProduct(panel, 3, in, x, 0, rows, y2, 2, 40, width, new float[rows * p]);
                    String at = "panel in=" + in + " rows=" + rows + " width=" + width;
                    for (int i = 0; i < y1.length; i++) assertEquals(y1[i], y2[i], 2e-6f * in, at + " at " + i);
                    assertEquals(0f, y2[rows * 40 - 1], "nothing written beyond the panel's width");
                    // a row's sums do not depend on the rows beside it: the same bits alone as in any pass
                    for (int row = 0; row < rows; row++) {
                        float[] alone = new float[40];
                        SimdOps.panelProduct(panel, 3, in, x, row * in, 1, alone, 2, 40, width, new float[p]);
                        assertArrayEquals(java.util.Arrays.copyOfRange(alone, 2, 2 + width),
                                java.util.Arrays.copyOfRange(y2, row * 40 + 2, row * 40 + 2 + width), at + " row " + row);
                    }
                }
            }
        }
        // exp for softmax / log-sum-exp and the SwiGLU product (the JDK's vector exp against Math.exp)
        for (int n : new int[] {0, 5, 33, 1037}) {
            float[] e1 = a.clone(), e2 = a.clone();
            float s1 = VecOps.scalarExpShifted(e1, 3, n, 0.5f, true), s2 = SimdOps.expShifted(e2, 3, n, 0.5f, true);
            assertEquals(s1, s2, 1e-5 * Math.max(1, Math.abs(s1)), "exp sum n=" + n);
            for (int i = 0; i < e1.length; i++) assertEquals(e1[i], e2[i], 1e-6f * Math.max(1, Math.abs(e1[i])), "exp n=" + n + " at " + i);
            float[] g1 = a.clone(), g2 = a.clone();
            VecOps.scalarSiluMul(g1, b, n);
            SimdOps.siluMul(g2, b, n);
            for (int i = 0; i < g1.length; i++) assertEquals(g1[i], g2[i], 1e-5f * Math.max(1, Math.abs(g1[i])), "silu n=" + n + " at " + i);
        }
        float[] v = new float[300];
        v[217] = 2f;
        v[250] = 3f;
        v[4] = 5f;
        v[299] = Float.NaN;
        int[] found = new int[300];
        float[] values = new float[300];
        assertEquals(2, SimdOps.collectGreater(v, 5, 300, 1f, found, values, Integer.MAX_VALUE));
        assertArrayEquals(new int[] {212, 245}, java.util.Arrays.copyOf(found, 2));
        assertArrayEquals(new float[] {2f, 3f}, java.util.Arrays.copyOf(values, 2));
        assertEquals(1, SimdOps.collectGreater(v, 218, 300, 1f, found, values, Integer.MAX_VALUE));
        assertEquals(32, found[0]);
        assertEquals(0, SimdOps.collectGreater(v, 0, 300, 5f, found, values, Integer.MAX_VALUE));
        assertEquals(3, VecOps.collectGreater(v, 0, 299, 0f, found, values, Integer.MAX_VALUE));
        assertArrayEquals(new int[] {4, 217, 250}, java.util.Arrays.copyOf(found, 3));
        // counts agree with the collected candidates (NaN never counts); the largest value, NaN when there is one
        assertEquals(2, SimdOps.countGreater(v, 5, 300, 1f));
        assertEquals(3, VecOps.countGreater(v, 0, 299, 0f));
        assertEquals(3, SimdOps.countGreater(v, 0, 300, 0f));
        assertEquals(5f, SimdOps.max(v, 0, 299));
        assertEquals(3f, SimdOps.max(v, 5, 294));
        assertTrue(Float.isNaN(SimdOps.max(v, 0, 300)));
        assertEquals(Float.NEGATIVE_INFINITY, SimdOps.max(v, 7, 0));
        // every lane of a vector a hit (the mask's bits, all of them)
        float[] all = new float[40];
        java.util.Arrays.fill(all, 1f);
        assertEquals(37, SimdOps.collectGreater(all, 3, 40, 0f, found, values, Integer.MAX_VALUE));
        for (int i = 0; i < 37; i++) assertEquals(i, found[i]);
        // a limit stops the collect once more than it are written: a count above the limit, the first ones in order
        int stopped = SimdOps.collectGreater(all, 3, 40, 0f, found, values, 20);
        assertTrue(stopped > 20 && stopped < 37, "stopped at " + stopped + " (whole vectors of hits)");
        for (int i = 0; i < stopped; i++) assertEquals(i, found[i]);
        // past the last whole vector (8 or 16 lanes: 32 hits), the tail stops at the first hit over the limit
        assertEquals(35, SimdOps.collectGreater(all, 3, 40, 0f, found, values, 34));
        assertEquals(2, SimdOps.collectGreater(v, 5, 300, 1f, found, values, 2)); // exactly the limit: all of them

        // the k-th largest positive value, bit by bit, against a sort: ties, +Inf, subnormals, lengths around a vector
        SplittableRandom rk = new SplittableRandom(5);
        for (int n : new int[] {1, 2, 15, 16, 17, 33, 100, 1000}) {
            float[] top = new float[n + VecOps.LANES];
            for (int i = 0; i < n; i++) {
                top[i] = switch (rk.nextInt(6)) {
                    case 0 -> Float.MIN_VALUE * (1 + rk.nextInt(3));
                    case 1 -> 1.5f;
                    case 2 -> Float.POSITIVE_INFINITY;
                    default -> (float) Math.exp(rk.nextGaussian() * 5);
                };
            }
            float[] sorted = java.util.Arrays.copyOf(top, n);
            java.util.Arrays.sort(sorted);
            for (int k : new int[] {1, Math.max(1, n / 3), n}) {
                assertEquals(sorted[n - k], SimdOps.kthLargestPositive(top, n, k), "n=" + n + " k=" + k);
                assertEquals(sorted[n - k], VecOps.kthLargestPositive(top, n, k), "n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void libtorchLinearMatchesAPlainLoopAndReusesStagedWeights() {
        SplittableRandom r = new SplittableRandom(2);
        int rows = 5, inner = 7, cols = 3;
        float[] x = new float[rows * inner], w = new float[cols * inner], bias = {0.5f, -1f, 2f};
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        float[] want = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = bias[j];
                for (int c = 0; c < inner; c++) s += (double) x[i * inner + c] * w[j * inner + c];
                want[i * cols + j] = (float) s;
            }
        }
        TorchMatmul tm = new TorchMatmul();
        float[] out = new float[rows * cols];
        tm.linear(x, rows, inner, w, 1, cols, bias, out);
        for (int i = 0; i < out.length; i++) assertEquals(want[i], out[i], 1e-5f);
        // same version: the staged copy is reused even if the array changed behind its back; a new version re-stages
        float[] w2 = w.clone();
        w[0] += 1f;
        float[] again = new float[rows * cols];
        tm.linear(x, rows, inner, w, 1, cols, bias, again);
        assertArrayEquals(out, again);
        tm.linear(x, rows, inner, w, 2, cols, bias, again);
        assertEquals(out[0] + x[0], again[0], 1e-5f);
        w[0] = w2[0];
    }

    @Test
    void vectorMatmulMatchesLibtorchOnOddShapesWhateverTheThreads() {
        SplittableRandom r = new SplittableRandom(3);
        // odd sizes everywhere; 1030 inputs run in two blocks of the panel product; 70 rows leave a partial panel
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {33, 37, 65}, {70, 1030, 129}, {32, 64, 64}};
        for (int[] shape : shapes) {
            int rows = shape[0], inner = shape[1], cols = shape[2];
            float[] x = new float[rows * inner], w = new float[cols * inner], bias = new float[cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
            for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
            for (float[] b : new float[][] {bias, null}) {
                float[] torch = new float[rows * cols], one = new float[rows * cols], two = new float[rows * cols];
                TorchMatmul.linear(x, rows, inner, w, cols, b, torch);
                new VectorMatmul().linear(x, rows, inner, w, cols, b, one, 1);
                VectorMatmul reused = new VectorMatmul();
                reused.linear(x, rows, inner, w, cols, b, two, 2);
                String at = rows + "x" + inner + "x" + cols + (b == null ? " no bias" : "");
                for (int i = 0; i < torch.length; i++) assertEquals(torch[i], one[i], 2e-6f * inner + 1e-6f, at + " at " + i);
                assertArrayEquals(one, two, at + ": the same bits on 1 and 2 threads");
                float[] again = new float[rows * cols];
                reused.linear(x, rows, inner, w, cols, b, again, 2);
                assertArrayEquals(two, again, at + ": a second call on the same instance");
            }
        }
    }

    @Test
    void vectorMatmulSkipsTheForbiddenHalfOfExclusiveFeaturesWithTheSameBits() {
        // features: 70 A-exclusive, 9 B-exclusive, 50 shared (blocks cut at both boundaries, one A block of 64 + 6)
        SplittableRandom r = new SplittableRandom(5);
        int rows = 45, d = 48, inner = 2 * d;
        Partition p = new Partition(129, 70, 9);
        int cols = p.dictSize();
        float[] x = new float[rows * inner], w = new float[cols * inner], bias = new float[cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        x[3 * inner + 5] = -0f; // zeros of either sign in the input
        java.util.Arrays.fill(x, 7 * inner, 7 * inner + d, 0f); // a row whose A half is all zeros
        for (int j = 0; j < cols; j++) {
            for (int i = p.loModel(j) * d; i < p.hiModel(j) * d; i++) w[j * inner + i] = (float) r.nextGaussian();
        }
        for (int j = 0; j < cols; j++) bias[j] = j % 3 == 0 ? 0f : (float) r.nextGaussian();
        for (int threads = 1; threads <= 2; threads++) {
            float[] whole = new float[rows * cols], halves = new float[rows * cols];
            new VectorMatmul().linear(x, rows, inner, w, cols, bias, whole, threads);
            new VectorMatmul().linear(x, rows, inner, w, cols, bias, halves, threads, p);
            for (int i = 0; i < whole.length; i++) {
                assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(halves[i]), "the same bits at " + i + ", " + threads + " threads");
            }
        }
    }

    @Test
    void errorSumsOnVectorLanesMatchTheScalarSums() {
        SplittableRandom r = new SplittableRandom(8);
        for (int n : new int[] {0, 1, 15, 16, 17, 128, 131}) {
            float[] a = new float[n + 3], b = new float[n + 5];
            double[] mean = new double[n + 2];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextGaussian() * 1e3);
            for (int i = 0; i < mean.length; i++) mean[i] = r.nextGaussian();
            double diff = 0, dev = 0;
            for (int i = 0; i < n; i++) {
                double e = (double) a[3 + i] - b[5 + i];
                diff += e * e;
                double c = a[3 + i] - mean[2 + i];
                dev += c * c;
            }
            assertEquals(diff, VecOps.sumSquaredDifferences(a, 3, b, 5, n), 1e-12 * diff, "differences, n = " + n);
            assertEquals(dev, VecOps.sumSquaredDeviations(a, 3, mean, 2, n), 1e-12 * dev, "deviations, n = " + n);
        }
    }

    @Test
    void sumRowsGivesTheBitsOfScaleThenAxpyTermByTerm() {
        SplittableRandom r = new SplittableRandom(12);
        int ld = 300, rows = 20;
        float[] x = new float[rows * ld], coef = new float[50];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < coef.length; i++) coef[i] = (float) r.nextGaussian();
        for (int n : new int[] {7, 16, 128, 131, 256, 291}) {
            for (int terms : new int[] {1, 2, 9}) {
                int[] entry = new int[terms + 2], row = new int[terms + 2];
                for (int a = 0; a < entry.length; a++) {
                    entry[a] = r.nextInt(coef.length);
                    row[a] = r.nextInt(rows);
                }
                for (boolean first : new boolean[] {true, false}) {
                    float[] want = new float[n + 5], got = new float[n + 5];
                    for (int i = 0; i < want.length; i++) want[i] = got[i] = (float) r.nextGaussian();
                    for (int a = 1; a <= terms; a++) { // terms [1, terms] of the index, at offset 4 of x's rows, into y at 3
                        if (a == 1 && first) VecOps.scale(coef[entry[a]], x, row[a] * ld + 4, want, 3, n);
                        else VecOps.axpy(coef[entry[a]], x, row[a] * ld + 4, want, 3, n);
                    }
                    VecOps.sumRows(coef, entry, row, 1, terms + 1, x, 4, ld, got, 3, n, first);
                    assertArrayEquals(want, got, "n = " + n + ", " + terms + " terms, first = " + first);
                }
            }
        }
    }
}
