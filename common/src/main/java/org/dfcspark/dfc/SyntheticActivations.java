package org.dfcspark.dfc;

import java.util.SplittableRandom;

/**
 * Synthetic paired activations with known ground truth, for recovery tests and demos.
 *
 * <p><b>Planted dictionary</b> ({@link #planted}): {@code nAOnly} A-only, {@code nBOnly} B-only and {@code nShared}
 * shared features, each with a random unit direction per model it exists in (a shared feature has an independent
 * direction in A and in B, as a crosscoder with separate decoders allows). Every row activates each feature
 * independently with probability {@code activeProb}, with magnitude uniform in [0.5, 1.5]; then
 * {@code x_A = Σ_{A-only ∪ shared} a_i·u_i^A + ε}, {@code x_B = Σ_{B-only ∪ shared} a_i·u_i^B + ε}, ε ~ N(0, noise²) per
 * coordinate.
 *
 * <p><b>Fine-tuning offset</b> ({@link #fineTuned}): A = B plus a sparse change. Both models share the same
 * {@code nShared} features with the same directions (aligned residual bases, as when A is fine-tuned from B).
 * Feature 0 is a "context" feature (think: a tool-use prompt) active on a random {@code offsetFraction} of the rows;
 * on exactly those rows fine-tuning has changed model A, which additionally carries {@code a_0·δ}, a fixed direction
 * δ of norm {@code offsetNorm} scaled by the context's activation: {@code x_A = x_B + a_0·δ}. A crosscoder with
 * separate decoders can absorb this for free into the shared context feature's A decoder; with tied decoders it
 * cannot, and needs an A-exclusive latent.
 */
public final class SyntheticActivations {

    public enum Kind { A_ONLY, B_ONLY, SHARED }

    /**
     * @param rows      n × 2d values
     * @param direction per planted feature, its 2d-long ground-truth decoder direction {@code [u^A | u^B]} (zeros for
     *                  the model it does not exist in)
     * @param affected  fineTuned only: which rows carry the offset (else null)
     * @param offset    fineTuned only: δ (else null)
     */
    public record Data(float[] rows, int n, int d, Kind[] kind, float[][] direction, boolean[] affected, float[] offset) {
        public ArrayActivations source(String name) {
            return new ArrayActivations(rows, n, d, name);
        }
    }

    private SyntheticActivations() {}

    public static Data planted(int d, int nAOnly, int nBOnly, int nShared, double activeProb, double noise, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int f = nAOnly + nBOnly + nShared, w = 2 * d;
        Kind[] kind = new Kind[f];
        float[][] dir = new float[f][];
        for (int i = 0; i < f; i++) {
            kind[i] = i < nAOnly ? Kind.A_ONLY : i < nAOnly + nBOnly ? Kind.B_ONLY : Kind.SHARED;
            dir[i] = new float[w];
            if (kind[i] != Kind.B_ONLY) unit(rng, dir[i], 0, d);
            if (kind[i] != Kind.A_ONLY) unit(rng, dir[i], d, d);
        }
        float[] rows = new float[n * w];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < f; i++) {
                if (rng.nextDouble() >= activeProb) continue;
                float a = (float) (0.5 + rng.nextDouble());
                for (int c = 0; c < w; c++) rows[r * w + c] += a * dir[i][c];
            }
            for (int c = 0; c < w; c++) rows[r * w + c] += (float) (noise * rng.nextGaussian());
        }
        // the reported direction of a shared feature is its concatenated two-model vector, normalised
        for (float[] v : dir) normalise(v);
        return new Data(rows, n, d, kind, dir, null, null);
    }

    public static Data fineTuned(int d, int nShared, double activeProb, double noise, double offsetFraction, double offsetNorm, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int w = 2 * d;
        float[][] dir = new float[nShared][];
        Kind[] kind = new Kind[nShared];
        for (int i = 0; i < nShared; i++) {
            kind[i] = Kind.SHARED;
            dir[i] = new float[w];
            unit(rng, dir[i], 0, d);
            System.arraycopy(dir[i], 0, dir[i], d, d);
        }
        float[] delta = new float[d];
        unit(rng, delta, 0, d);
        for (int c = 0; c < d; c++) delta[c] *= (float) offsetNorm;
        float[] rows = new float[n * w];
        boolean[] affected = new boolean[n];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < nShared; i++) {
                if (rng.nextDouble() >= (i == 0 ? offsetFraction : activeProb)) continue;
                float a = (float) (0.5 + rng.nextDouble());
                for (int c = 0; c < w; c++) rows[r * w + c] += a * dir[i][c];
                if (i == 0) {
                    affected[r] = true;
                    for (int c = 0; c < d; c++) rows[r * w + c] += a * delta[c];
                }
            }
            for (int c = 0; c < d; c++) {
                float e = (float) (noise * rng.nextGaussian());
                rows[r * w + c] += e;
                rows[r * w + d + c] += e;
            }
        }
        for (float[] v : dir) normalise(v);
        return new Data(rows, n, d, kind, dir, affected, delta);
    }

    private static void unit(SplittableRandom rng, float[] v, int off, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) {
            double g = rng.nextGaussian();
            v[off + i] = (float) g;
            s += g * g;
        }
        float inv = (float) (1 / Math.sqrt(s));
        for (int i = 0; i < len; i++) v[off + i] *= inv;
    }

    private static void normalise(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        float inv = (float) (1 / Math.sqrt(s));
        for (int i = 0; i < v.length; i++) v[i] *= inv;
    }
}
