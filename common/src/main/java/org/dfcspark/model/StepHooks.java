package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interventions active in one forward step (the prompt forward or one decode step), grouped by hook point,
 * and their application to the residual stream. Edits are written with {@code where}/{@code add} (no in-place
 * writes), so they are differentiable.
 */
final class StepHooks {
    private final Map<HookPoint, List<Intervention>> byHook = new LinkedHashMap<>();
    private final boolean promptStep;
    private final int[] promptLengths;
    private final int numLayers;
    private int[][] stepIds;
    private int[] columnZeroPosition;

    /**
     * @param promptStep    true for the prompt forward, false for a decode step (one new column per row)
     * @param promptWidth   padded prompt length (the prompt step's width)
     * @param promptLengths each row's real prompt length
     */
    StepHooks(List<Intervention> interventions, boolean promptStep, int promptWidth, int[] promptLengths, Qwen2Config c) {
        this.promptStep = promptStep;
        this.promptLengths = promptLengths;
        this.numLayers = c.numHiddenLayers();
        List<HookPoint> captured = new ArrayList<>();
        for (Intervention iv : interventions == null ? List.<Intervention>of() : interventions) {
            validate(iv, c, promptLengths.length, promptWidth, promptLengths);
            if (iv instanceof Intervention.Capture) {
                if (captured.contains(iv.hook())) throw new IllegalArgumentException("two captures at " + iv.hook());
                captured.add(iv.hook());
            }
            if (iv.activeIn(promptStep)) byHook.computeIfAbsent(iv.hook(), k -> new ArrayList<>()).add(iv);
        }
    }

    private static void validate(Intervention iv, Qwen2Config c, int rows, int width, int[] lengths) {
        iv.hook().checkFits(c.numHiddenLayers());
        int d = c.hiddenSize();
        if (iv instanceof Intervention.Add a && a.vector().length != d) {
            throw new IllegalArgumentException("add at " + a.hook() + ": vector has " + a.vector().length + " values, hidden size is " + d);
        }
        if (iv instanceof Intervention.Replace r) {
            if (r.perRow().length != 1 && r.perRow().length != rows) {
                throw new IllegalArgumentException("replace at " + r.hook() + ": " + r.perRow().length
                        + " vectors for a batch of " + rows + " rows (give 1 or " + rows + ")");
            }
            for (float[] v : r.perRow()) {
                if (v.length != d) throw new IllegalArgumentException("replace at " + r.hook() + ": vector has " + v.length + " values, hidden size is " + d);
            }
        }
        iv.positions().select(true, width, lengths); // rejects indices outside a prompt
    }

    /**
     * The step's token ids (rows × width) and, per row, the position of column 0 in the row's own tokens (negative
     * for left padding); {@link Intervention.Rewrite} reports positions and tokens from them.
     */
    StepHooks at(int[][] ids, int[] columnZeroPosition) {
        this.stepIds = ids;
        this.columnZeroPosition = columnZeroPosition;
        return this;
    }

    boolean has(HookPoint hook) {
        return byHook.containsKey(hook);
    }

    /** The deepest layer any active intervention needs computed; -1 when none. */
    int deepestLayer() {
        int deepest = -1;
        for (HookPoint h : byHook.keySet()) {
            deepest = Math.max(deepest, switch (h.site()) {
                case RESID_PRE -> h.layer() - 1;
                case RESID_POST -> h.layer();
                case FINAL_NORM -> numLayers - 1;
            });
        }
        return deepest;
    }

    /** Applies this hook point's interventions to h (B, T, d) in list order; captures go to {@code captures}. */
    NDArray apply(HookPoint hook, NDArray h, Map<HookPoint, NDArray> captures) {
        List<Intervention> ivs = byHook.get(hook);
        if (ivs == null) return h;
        int width = (int) h.getShape().get(1);
        for (Intervention iv : ivs) {
            int[][] sel = iv.positions().select(promptStep, width, promptLengths);
            if (none(sel)) continue;
            if (iv instanceof Intervention.Capture) {
                captures.put(hook, gather(h, sel, width, iv.positions()));
            } else if (iv instanceof Intervention.Add a) {
                float[] v = scaled(a);
                NDArray vec = vector(h.getManager(), v, h.getDataType()).reshape(1, 1, v.length);
                NDArray mask = everything(sel, width) ? null : mask(h.getManager(), sel, width, h.getDataType());
                h = h.add(mask == null ? vec : mask.mul(vec));
            } else if (iv instanceof Intervention.Rewrite w) {
                h = rewrite(h, sel, w);
            } else {
                Intervention.Replace r = (Intervention.Replace) iv;
                int d = r.perRow()[0].length;
                float[] flat = new float[r.perRow().length * d];
                for (int i = 0; i < r.perRow().length; i++) System.arraycopy(r.perRow()[i], 0, flat, i * d, d);
                NDArray rows = vector(h.getManager(), flat, h.getDataType()).reshape(r.perRow().length, 1, d);
                NDArray cond = mask(h.getManager(), sel, width, DataType.BOOLEAN);
                h = NDArrays.where(cond.broadcast(h.getShape()), rows.broadcast(h.getShape()), h);
            }
        }
        return h;
    }

    /**
     * {@link #apply} for a decode step computed in Java ({@link CpuDecoder}): h is (rows, d) row-major, one new
     * column per row, edited in place. Captures are skipped: a decode step's captures are never returned.
     */
    void applyRows(HookPoint hook, float[] h, int rows, int d) {
        List<Intervention> ivs = byHook.get(hook);
        if (ivs == null) return;
        if (promptStep) throw new IllegalStateException("applyRows is for decode steps");
        for (Intervention iv : ivs) {
            int[][] sel = iv.positions().select(false, 1, promptLengths);
            if (iv instanceof Intervention.Add a) {
                float[] vec = scaled(a);
                for (int b = 0; b < rows; b++) {
                    if (sel[b] == null) continue;
                    for (int i = 0; i < d; i++) h[b * d + i] += vec[i];
                }
            } else if (iv instanceof Intervention.Replace r) {
                for (int b = 0; b < rows; b++) {
                    if (sel[b] != null) System.arraycopy(r.perRow()[r.perRow().length == 1 ? 0 : b], 0, h, b * d, d);
                }
            } else if (iv instanceof Intervention.Rewrite w) {
                rewriteRows(h, d, sel, w);
            }
        }
    }

    private void rewriteRows(float[] h, int d, int[][] sel, Intervention.Rewrite w) {
        if (stepIds == null) throw new IllegalStateException("rewrite at " + w.hook() + ": the step's token ids were not given");
        int n = 0;
        for (int[] s : sel) n += s == null ? 0 : 1;
        int[] rows = new int[n], positions = new int[n], tokens = new int[n];
        float[][] vectors = new float[n][];
        for (int b = 0, i = 0; b < sel.length; b++) {
            if (sel[b] == null) continue;
            rows[i] = b;
            positions[i] = columnZeroPosition[b];
            tokens[i] = stepIds[b][0];
            vectors[i++] = java.util.Arrays.copyOfRange(h, b * d, (b + 1) * d);
        }
        float[][] out = callRewrite(w, new ResidualRewrite.Site(false, rows, positions, tokens), vectors, d);
        for (int i = 0; i < n; i++) System.arraycopy(out[i], 0, h, rows[i] * d, d);
    }

    /** {@code h += scale · vector} as the float32 vector both paths add. */
    private static float[] scaled(Intervention.Add a) {
        float[] v = new float[a.vector().length];
        for (int i = 0; i < v.length; i++) v[i] = (float) (a.vector()[i] * a.scale());
        return v;
    }

    /** The rewrite's answer for {@code vectors}, checked: one vector of width d per input. */
    private float[][] callRewrite(Intervention.Rewrite w, ResidualRewrite.Site site, float[][] vectors, int d) {
        float[][] out = w.rewrite().rewrite(site, vectors);
        if (out == null || out.length != vectors.length) throw new IllegalStateException("rewrite at " + w.hook() + " returned "
                + (out == null ? "null" : out.length + " vectors") + " for " + vectors.length + " positions");
        for (float[] o : out) {
            if (o.length != d) throw new IllegalStateException("rewrite at " + w.hook() + ": vector has " + o.length + " values, hidden size is " + d);
        }
        return out;
    }

    /** Hands the selected vectors to the rewrite and writes its answers back with {@code where}. */
    private NDArray rewrite(NDArray h, int[][] sel, Intervention.Rewrite w) {
        if (stepIds == null) throw new IllegalStateException("rewrite at " + w.hook() + ": the step's token ids were not given");
        int width = (int) h.getShape().get(1), d = (int) h.getShape().get(2), n = 0;
        for (int[] s : sel) n += s == null ? 0 : s.length;
        float[] flat = (h.getDataType() == DataType.FLOAT32 ? h : h.toType(DataType.FLOAT32, false)).toFloatArray();
        int[] rows = new int[n], positions = new int[n], tokens = new int[n];
        float[][] vectors = new float[n][];
        for (int b = 0, i = 0; b < sel.length; b++) {
            if (sel[b] == null) continue;
            for (int col : sel[b]) {
                rows[i] = b;
                positions[i] = columnZeroPosition[b] + col;
                tokens[i] = stepIds[b][col];
                vectors[i++] = java.util.Arrays.copyOfRange(flat, (b * width + col) * d, (b * width + col + 1) * d);
            }
        }
        float[][] out = callRewrite(w, new ResidualRewrite.Site(promptStep, rows, positions, tokens), vectors, d);
        for (int i = 0; i < n; i++) System.arraycopy(out[i], 0, flat, (rows[i] * width + positions[i] - columnZeroPosition[rows[i]]) * d, d);
        NDArray edited = vector(h.getManager(), flat, h.getDataType()).reshape(h.getShape());
        NDArray cond = mask(h.getManager(), sel, width, DataType.BOOLEAN);
        return NDArrays.where(cond.broadcast(h.getShape()), edited, h);
    }

    private static NDArray vector(NDManager m, float[] v, DataType dtype) {
        NDArray a = m.create(v);
        return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
    }

    /** (B, T, 1) indicator of the selected columns. */
    private static NDArray mask(NDManager m, int[][] sel, int width, DataType dtype) {
        if (dtype == DataType.BOOLEAN) {
            boolean[] on = new boolean[sel.length * width];
            for (int b = 0; b < sel.length; b++) if (sel[b] != null) for (int c : sel[b]) on[b * width + c] = true;
            return m.create(on, new Shape(sel.length, width, 1));
        }
        float[] on = new float[sel.length * width];
        for (int b = 0; b < sel.length; b++) if (sel[b] != null) for (int c : sel[b]) on[b * width + c] = 1f;
        NDArray a = m.create(on, new Shape(sel.length, width, 1));
        return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
    }

    private static NDArray gather(NDArray h, int[][] sel, int width, Positions positions) {
        if (positions instanceof Positions.All && width == h.getShape().get(1)) return h;
        int rows = sel.length, p = sel[0].length;
        long d = h.getShape().get(2);
        if (p == 1 && allSame(sel)) return h.get(new NDIndex(":, {}:{}, :", sel[0][0], sel[0][0] + 1));
        long[] idx = new long[(int) (rows * p * d)];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < p; i++) java.util.Arrays.fill(idx, (int) ((b * p + i) * d), (int) ((b * p + i + 1) * d), sel[b][i]);
        }
        return h.gather(h.getManager().create(idx, new Shape(rows, p, d)), 1);
    }

    private static boolean allSame(int[][] sel) {
        for (int[] s : sel) if (s == null || s.length != 1 || s[0] != sel[0][0]) return false;
        return true;
    }

    private static boolean none(int[][] sel) {
        for (int[] s : sel) if (s != null && s.length > 0) return false;
        return true;
    }

    private static boolean everything(int[][] sel, int width) {
        for (int[] s : sel) if (s == null || s.length != width) return false;
        return true;
    }
}
