package org.dfcspark.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from one row of logits: argmax, or temperature + top-p sampling. */
final class Sampler {
    private Sampler() {}

    /** The first index of the largest value (torch.argmax's tie rule). */
    static int argmax(float[] logits, int from, int n) {
        int best = 0;
        float bestV = logits[from];
        for (int i = 1; i < n; i++) {
            if (logits[from + i] > bestV) {
                bestV = logits[from + i];
                best = i;
            }
        }
        return best;
    }

    /**
     * Samples from softmax(logits / temperature) restricted to the top-p nucleus: the most probable tokens whose
     * cumulative probability first reaches {@code topP} (at least one), as HF's TopPLogitsWarper keeps them.
     */
    static int sample(float[] logits, int from, int n, double temperature, double topP, SplittableRandom rng) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[from + i]);
        double[] p = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) z += p[i] = Math.exp((logits[from + i] - max) / temperature);
        for (int i = 0; i < n; i++) p[i] /= z;
        int[] candidates = nucleus(p, topP);
        double mass = 0;
        for (int c : candidates) mass += p[c];
        double u = rng.nextDouble() * mass;
        for (int c : candidates) {
            u -= p[c];
            if (u < 0) return c;
        }
        return candidates[candidates.length - 1];
    }

    /** Token indices of the nucleus, most probable first (ties: lower index first). */
    static int[] nucleus(double[] p, double topP) {
        int n = p.length;
        // Only tokens with p >= tau can be in the nucleus once {p >= tau} holds topP of the mass: sort just those.
        double tau = 1.0 / n;
        int[] cand;
        while (true) {
            double mass = 0;
            int count = 0;
            for (double v : p) if (v >= tau) { mass += v; count++; }
            if (mass >= topP || tau < 1e-300) {
                cand = new int[count];
                int k = 0;
                for (int i = 0; i < n; i++) if (p[i] >= tau) cand[k++] = i;
                break;
            }
            tau /= 16;
        }
        Integer[] boxed = Arrays.stream(cand).boxed().toArray(Integer[]::new);
        Arrays.sort(boxed, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double cum = 0;
        int keep = 0;
        while (keep < boxed.length) {
            cum += p[boxed[keep++]];
            if (cum >= topP) break;
        }
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) out[i] = boxed[i];
        return out;
    }
}
