package org.dfcspark.dfc;

import org.dfcspark.simd.VecOps;

/**
 * A (dedicated-feature) crosscoder: the paper's parameters {@code W_enc (2,d,D)}, {@code b_enc (D)},
 * {@code W_dec (D,2,d)}, {@code b_dec (2,d)} with its partition masks, plus the config that says how it is sparse,
 * trained and normalised. A plain crosscoder is the 0/0 partition of this same class.
 *
 * <p>Memory layout: both weight matrices are kept feature-major, one row of 2d floats per feature
 * ({@code [model A (d) | model B (d)]}): {@code dec} is exactly the paper's {@code W_dec}, {@code encT} is
 * {@code W_enc} transposed ({@code encT[j·2d + m·d + i] = W_enc[m, i, j]}). A feature's allowed weights are then
 * one contiguous range of its row (see {@link Partition#loModel}), which the sparse kernels use directly.
 *
 * <p>Invariants: forbidden weights are exactly 0.0 ({@link #verifyPartition}); with tied coupling a shared
 * feature's two decoder halves are equal and so are the two halves of {@code b_dec} ({@link #maxTieViolation}).
 * Parameter arrays are modified only by the optimiser and initialisers of this package.
 */
public final class Crosscoder {
    private volatile CrosscoderConfig config;
    final Partition partition;
    final int d;
    final int dictSize;
    final int width;
    final float[] encT;
    final float[] bEnc;
    final float[] dec;
    final float[] bDec;
    /** Incremented whenever the weights change in place (lets BatchStep skip re-staging unchanged weights). */
    private volatile long version;

    /** All-zero parameters; use {@link Init} or {@link #fromPaperTensors} to fill them. */
    public Crosscoder(CrosscoderConfig config) {
        this.config = config;
        this.partition = config.partition();
        this.d = config.activationDim();
        this.dictSize = config.dictSize();
        this.width = 2 * d;
        long n = (long) dictSize * width;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("dictionary too large for one array: D·2d = " + n);
        this.encT = new float[(int) n];
        this.dec = new float[(int) n];
        this.bEnc = new float[dictSize];
        this.bDec = new float[width];
    }

    /**
     * Builds a crosscoder from tensors in the paper's layout (flattened row-major). Refuses forbidden weights that
     * are not exactly 0 and, for tied coupling, untied halves, naming the offending slice.
     */
    public static Crosscoder fromPaperTensors(CrosscoderConfig config, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec) {
        Crosscoder cc = new Crosscoder(config);
        int d = cc.d, dict = cc.dictSize, w = cc.width;
        check("W_enc", wEnc.length, 2L * d * dict, "(2, " + d + ", " + dict + ")");
        check("b_enc", bEnc.length, dict, "(" + dict + ")");
        check("W_dec", wDec.length, (long) dict * w, "(" + dict + ", 2, " + d + ")");
        check("b_dec", bDec.length, w, "(2, " + d + ")");
        for (int m = 0; m < 2; m++) {
            for (int i = 0; i < d; i++) {
                int src = (m * d + i) * dict;
                for (int j = 0; j < dict; j++) cc.encT[j * w + m * d + i] = wEnc[src + j];
            }
        }
        System.arraycopy(wDec, 0, cc.dec, 0, wDec.length);
        System.arraycopy(bEnc, 0, cc.bEnc, 0, dict);
        System.arraycopy(bDec, 0, cc.bDec, 0, w);
        for (float[] t : new float[][] {cc.encT, cc.dec, cc.bEnc, cc.bDec}) {
            for (float v : t) if (!Float.isFinite(v)) throw new IllegalArgumentException("crosscoder weights contain NaN or Inf");
        }
        double viol = cc.verifyPartition();
        if (viol != 0) {
            throw new IllegalArgumentException("partition violated: a forbidden weight has |w| = " + viol
                    + " (must be exactly 0 for " + cc.partition + ")");
        }
        double tie = cc.maxTieViolation();
        if (tie != 0) throw new IllegalArgumentException("tied coupling violated: decoder halves differ by up to " + tie);
        return cc;
    }

    private static void check(String name, int got, long want, String shape) {
        if (got != want) throw new IllegalArgumentException(name + " must have shape " + shape + " (" + want + " values), got " + got);
    }

    public CrosscoderConfig config() {
        return config;
    }

    /** Replaces the config (same shapes): the trainer records the learned threshold, normalisation, provenance. */
    void setConfig(CrosscoderConfig c) {
        if (c.activationDim() != d || c.dictSize() != dictSize || c.nA() != partition.nA() || c.nB() != partition.nB()) {
            throw new IllegalArgumentException("config shapes differ from the crosscoder's");
        }
        this.config = c;
    }

    long version() {
        return version;
    }

    /** Marks the parameters as modified. */
    void touch() {
        version++;
    }

    public Partition partition() {
        return partition;
    }

    public int activationDim() {
        return d;
    }

    public int dictSize() {
        return dictSize;
    }

    // ---- the paper's tensors ----

    /** {@code W_enc (2, d, D)} flattened. */
    public float[] wEnc() {
        return paperEncLayout(encT);
    }

    /** An encoder-shaped array stored as (D, 2d) here, in the paper's (2, d, D) layout (weights and gradients alike). */
    float[] paperEncLayout(float[] byFeature) {
        float[] out = new float[width * dictSize];
        for (int j = 0; j < dictSize; j++) {
            for (int c = 0; c < width; c++) out[c * dictSize + j] = byFeature[j * width + c];
        }
        return out;
    }

    /** {@code W_dec (D, 2, d)} flattened. */
    public float[] wDec() {
        return dec.clone();
    }

    public float[] bEnc() {
        return bEnc.clone();
    }

    /** {@code b_dec (2, d)} flattened. */
    public float[] bDec() {
        return bDec.clone();
    }

    /** Decoder vector of feature j for model m (zeros where forbidden). */
    public float[] decoderVector(int j, int m) {
        float[] v = new float[d];
        System.arraycopy(dec, j * width + m * d, v, 0, d);
        return v;
    }

    /** ‖W_dec[j, m]‖ for every feature, (D, 2) row-major. */
    public double[] decoderNorms() {
        double[] out = new double[2 * dictSize];
        for (int j = 0; j < dictSize; j++) {
            for (int m = 0; m < 2; m++) out[2 * j + m] = Math.sqrt(VecOps.sumSquares(dec, j * width + m * d, d));
        }
        return out;
    }

    /** Code norm ‖d_A‖ + ‖d_B‖ per feature (BatchTopK ranking, Anthropic's penalty), in float as the reference. */
    float[] codeNorms() {
        float[] out = new float[dictSize];
        for (int j = 0; j < dictSize; j++) {
            float a = (float) Math.sqrt(VecOps.sumSquares(dec, j * width, d));
            float b = (float) Math.sqrt(VecOps.sumSquares(dec, j * width + d, d));
            out[j] = a + b;
        }
        return out;
    }

    // ---- invariants ----

    /** Largest |w| over every forbidden encoder and decoder weight; 0.0 when exclusivity holds exactly. */
    public double verifyPartition() {
        double max = 0;
        for (int j = 0; j < partition.nA() + partition.nB(); j++) {
            int lo = partition.loModel(j) * d, hi = partition.hiModel(j) * d;
            for (int c = 0; c < width; c++) {
                if (c >= lo && c < hi) continue;
                max = Math.max(max, Math.max(Math.abs(encT[j * width + c]), Math.abs(dec[j * width + c])));
            }
        }
        return max;
    }

    /** With tied coupling: the largest |d_A − d_B| over shared features and |b_dec,A − b_dec,B|; else 0. */
    public double maxTieViolation() {
        if (config.coupling() != Coupling.TIED) return 0;
        double max = 0;
        for (int j = partition.sharedStart(); j < dictSize; j++) {
            for (int i = 0; i < d; i++) max = Math.max(max, Math.abs(dec[j * width + i] - dec[j * width + d + i]));
        }
        for (int i = 0; i < d; i++) max = Math.max(max, Math.abs(bDec[i] - bDec[d + i]));
        return max;
    }

    /** Zeroes every forbidden weight (after each optimiser step; they are already zero unless something is wrong). */
    void applyMasks() {
        touch();
        for (int j = 0; j < partition.nA() + partition.nB(); j++) {
            zeroForbidden(partition, d, encT, j);
            zeroForbidden(partition, d, dec, j);
        }
    }

    /** Zeroes row j of a (D, 2d) array outside the models feature j may use (nothing for a shared feature). */
    static void zeroForbidden(Partition partition, int d, float[] a, int j) {
        int row = 2 * d * j;
        java.util.Arrays.fill(a, row, row + partition.loModel(j) * d, 0f);
        java.util.Arrays.fill(a, row + partition.hiModel(j) * d, row + 2 * d, 0f);
    }

    /** With tied coupling: copies model A's half onto B's for shared decoders and b_dec (after initialisation). */
    void tieDecoders() {
        touch();
        if (config.coupling() != Coupling.TIED) return;
        for (int j = partition.sharedStart(); j < dictSize; j++) System.arraycopy(dec, j * width, dec, j * width + d, d);
        System.arraycopy(bDec, 0, bDec, d, d);
    }

    /**
     * The live parameter arrays {W_encᵀ (D × 2d), b_enc, W_dec (D × 2d), b_dec} in this class's internal layout, for
     * collectives that average or hash them (data-parallel training). Whoever writes into them must call
     * {@link #parametersChanged()} afterwards.
     */
    public float[][] parameterArrays() {
        return new float[][] {encT, bEnc, dec, bDec};
    }

    /** Tells cached copies of the weights that the arrays of {@link #parameterArrays()} were modified. */
    public void parametersChanged() {
        touch();
    }

    /** Replaces the config (same shapes), e.g. a resumed run's learned BatchTopK threshold. */
    public void replaceConfig(CrosscoderConfig c) {
        setConfig(c);
    }

    /** A deep copy (same config). */
    public Crosscoder copy() {
        Crosscoder c = new Crosscoder(config);
        System.arraycopy(encT, 0, c.encT, 0, encT.length);
        System.arraycopy(dec, 0, c.dec, 0, dec.length);
        System.arraycopy(bEnc, 0, c.bEnc, 0, bEnc.length);
        System.arraycopy(bDec, 0, c.bDec, 0, bDec.length);
        return c;
    }

    /** True when every parameter is finite. */
    public boolean isFinite() {
        for (float[] t : new float[][] {encT, dec, bEnc, bDec}) for (float v : t) if (!Float.isFinite(v)) return false;
        return true;
    }
}
