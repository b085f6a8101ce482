package org.dfcspark.dfc;

import java.util.Locale;
import java.util.SplittableRandom;

/** Parameter initialisation (deterministic for a seed). Forbidden weights are zeroed and tied halves tied after init. */
public final class Init {

    /** Encoder/decoder weights. */
    public enum Weights {
        /** The paper: W_enc ~ N(0,1)/√d, W_dec ~ N(0,1)/√D, biases 0. */
        PAPER,
        /** The reference: W_enc ~ U(±√(6/(d·D))) (kaiming-uniform of a (2,d,D) tensor), W_dec = W_encᵀ, biases 0. */
        TRANSPOSE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Weights parse(String s) {
            for (Weights v : values()) if (v.id().equals(s)) return v;
            throw new IllegalArgumentException("unknown init '" + s + "' (expected paper or transpose)");
        }
    }

    /** Decoder bias, computed on normalised rows. */
    public enum DecoderBias {
        ZEROS, MEAN, GEOMETRIC_MEDIAN;

        public String id() {
            return this == GEOMETRIC_MEDIAN ? "geomedian" : name().toLowerCase(Locale.ROOT);
        }

        public static DecoderBias parse(String s) {
            for (DecoderBias v : values()) if (v.id().equals(s)) return v;
            throw new IllegalArgumentException("unknown decoder-bias init '" + s + "' (expected zeros, mean or geomedian)");
        }
    }

    private Init() {}

    public static void weights(Crosscoder cc, Weights kind, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int d = cc.d, dict = cc.dictSize, w = cc.width;
        java.util.Arrays.fill(cc.bEnc, 0f);
        java.util.Arrays.fill(cc.bDec, 0f);
        if (kind == Weights.PAPER) {
            // drawn in the paper's tensor order (W_enc (2,d,D) then W_dec (D,2,d)), stored transposed
            double se = 1 / Math.sqrt(d), sd = 1 / Math.sqrt(dict);
            for (int c = 0; c < w; c++) for (int j = 0; j < dict; j++) cc.encT[j * w + c] = (float) (rng.nextGaussian() * se);
            for (int i = 0; i < cc.dec.length; i++) cc.dec[i] = (float) (rng.nextGaussian() * sd);
        } else {
            double bound = Math.sqrt(6.0 / ((double) d * dict));
            for (int c = 0; c < w; c++) for (int j = 0; j < dict; j++) cc.encT[j * w + c] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            System.arraycopy(cc.encT, 0, cc.dec, 0, cc.dec.length);
        }
        cc.applyMasks();
        cc.tieDecoders();
        cc.touch();
    }

    /**
     * Sets b_dec from normalised rows: per model (separate coupling) or, with tied coupling, model B's statistic for
     * both halves (B is the base model the fine-tune started from).
     */
    public static void decoderBias(Crosscoder cc, DecoderBias kind, float[] rows, int n) {
        int d = cc.d, w = cc.width;
        float[] b = switch (kind) {
            case ZEROS -> new float[w];
            case MEAN -> mean(rows, n, w);
            case GEOMETRIC_MEDIAN -> geometricMedian(rows, n, d, 100, 1e-5);
        };
        System.arraycopy(b, 0, cc.bDec, 0, w);
        if (cc.config().coupling() == Coupling.TIED) System.arraycopy(b, d, cc.bDec, 0, d);
    }

    static float[] mean(float[] rows, int n, int w) {
        double[] s = new double[w];
        for (int r = 0; r < n; r++) for (int i = 0; i < w; i++) s[i] += rows[r * w + i];
        float[] out = new float[w];
        for (int i = 0; i < w; i++) out[i] = (float) (s[i] / n);
        return out;
    }

    /**
     * Per model, the Weiszfeld iteration of the reference: start at the mean, weights 1/‖x_n − g‖ normalised over n,
     * at most {@code maxIter} iterations, stop when both models moved less than {@code tol}.
     */
    public static float[] geometricMedian(float[] rows, int n, int d, int maxIter, double tol) {
        int w = 2 * d;
        double[] g = new double[w];
        float[] m0 = mean(rows, n, w);
        for (int i = 0; i < w; i++) g[i] = m0[i];
        double[] wts = new double[n];
        for (int it = 0; it < maxIter; it++) {
            double[] next = new double[w];
            for (int m = 0; m < 2; m++) {
                double total = 0;
                for (int r = 0; r < n; r++) {
                    double s = 0;
                    for (int i = m * d; i < (m + 1) * d; i++) { double e = rows[r * w + i] - g[i]; s += e * e; }
                    wts[r] = 1 / Math.sqrt(s);
                    total += wts[r];
                }
                for (int r = 0; r < n; r++) {
                    double wr = wts[r] / total;
                    for (int i = m * d; i < (m + 1) * d; i++) next[i] += wr * rows[r * w + i];
                }
            }
            boolean moved = false;
            for (int m = 0; m < 2; m++) {
                double s = 0;
                for (int i = m * d; i < (m + 1) * d; i++) { double e = next[i] - g[i]; s += e * e; }
                if (Math.sqrt(s) >= tol) moved = true;
            }
            g = next;
            if (!moved) break;
        }
        float[] out = new float[w];
        for (int i = 0; i < w; i++) out[i] = (float) g[i];
        return out;
    }
}
