package org.dfcspark.eval;

import java.util.SplittableRandom;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.SparseCodes;

/**
 * Turns a {@link Condition} into the {@link PairEdit} of its residual, in the models' raw units (one unit of feature
 * i moves model m's raw residual by {@code W_dec[i,m]/s_m}, {@link Steering#featureDirection}). Reconstructions and
 * the activation-dependent steering modes encode the pair (A, B) at each edited position with the crosscoder's own
 * normalisation. Holds one {@link BatchStep}: one instance per thread.
 */
public final class ConditionEdits {
    private final Crosscoder cc;
    private final double[] toolMeanActivation;
    private final BatchStep step;
    private final int d;

    /**
     * @param modelHiddenSize    the models' residual width, which must be the crosscoder's d
     * @param toolMeanActivation each feature's mean activation on the ranking's tool prompts (add mode); may be null
     *                           when no add condition is used
     */
    public ConditionEdits(Crosscoder cc, int modelHiddenSize, double[] toolMeanActivation, int threads) {
        if (cc.activationDim() != modelHiddenSize) {
            throw new IllegalArgumentException("the crosscoder reads " + cc.activationDim()
                    + "-dimensional activations but the model's hidden size is " + modelHiddenSize);
        }
        if (toolMeanActivation != null && toolMeanActivation.length != cc.dictSize()) {
            throw new IllegalArgumentException("tool mean activations have " + toolMeanActivation.length
                    + " entries for a dictionary of " + cc.dictSize());
        }
        this.cc = cc;
        this.d = modelHiddenSize;
        this.toolMeanActivation = toolMeanActivation == null ? null : toolMeanActivation.clone();
        this.step = new BatchStep(cc, threads);
    }

    public Crosscoder crosscoder() {
        return cc;
    }

    /** The edit of a condition, or null for clean (nothing to edit). Checks features and vectors first. */
    public PairEdit edit(Condition c) {
        if (c instanceof Condition.Reconstruction r) return reconstruction(r);
        if (c instanceof Condition.Steer s) return steering(s);
        if (c instanceof Condition.RandomDirection r) return randomDirection(r);
        return null; // clean
    }

    /** The raw residual edit {@code x̂_m} (or {@code x̂_m + (x_m − x̂_m)} with keep-error). */
    private PairEdit reconstruction(Condition.Reconstruction r) {
        int m = r.model().index();
        return (own, partner) -> {
            float[] rec = encode(own, partner, m).reconstruction();
            float[][] out = new float[own.length][d];
            for (int p = 0; p < own.length; p++) {
                int base = p * 2 * d + m * d;
                for (int i = 0; i < d; i++) {
                    float hat = rec[base + i];
                    out[p][i] = r.keepError() ? hat + (own[p][i] - hat) : hat;
                }
            }
            return out;
        };
    }

    private PairEdit steering(Condition.Steer s) {
        float[][] dirs = directions(s);
        int m = s.model().index();
        if (s.mode() == SteeringMode.ADD) {
            if (toolMeanActivation == null) throw new IllegalArgumentException(s.key() + ": add mode needs the features' mean tool activations");
            double[] delta = new double[d];
            for (int j = 0; j < dirs.length; j++) {
                double w = s.coefficient() * toolMeanActivation[s.features().get(j)];
                for (int i = 0; i < d; i++) delta[i] += w * dirs[j][i];
            }
            requireFinite(delta, s.key() + ": the steering vector");
            return (own, partner) -> {
                float[][] out = new float[own.length][];
                for (int p = 0; p < own.length; p++) out[p] = plus(own[p], delta);
                return out;
            };
        }
        return (own, partner) -> {
            SparseCodes f = encode(own, partner, m).features();
            float[][] out = new float[own.length][];
            for (int p = 0; p < own.length; p++) out[p] = plus(own[p], activationDelta(s, dirs, f, p));
            return out;
        };
    }

    /** Δ of a scale or clamp condition at row p of the encoded pairs. */
    private double[] activationDelta(Condition.Steer s, float[][] dirs, SparseCodes f, int p) {
        double[] delta = new double[d];
        for (int j = 0; j < dirs.length; j++) {
            double fi = activation(f, p, s.features().get(j));
            double w = s.mode() == SteeringMode.SCALE ? (s.coefficient() - 1) * fi : s.coefficient() - fi;
            for (int i = 0; i < d; i++) delta[i] += w * dirs[j][i];
        }
        return delta;
    }

    private PairEdit randomDirection(Condition.RandomDirection r) {
        PairEdit like = steering(r.like());
        double[] u = unitGaussian(d, r.seed());
        return (own, partner) -> {
            float[][] steered = like.apply(own, partner);
            float[][] out = new float[own.length][];
            for (int p = 0; p < own.length; p++) {
                double norm = 0;
                for (int i = 0; i < d; i++) {
                    double x = (double) steered[p][i] - own[p][i];
                    norm += x * x;
                }
                double[] delta = new double[d];
                for (int i = 0; i < d; i++) delta[i] = Math.sqrt(norm) * u[i];
                out[p] = plus(own[p], delta);
            }
            return out;
        };
    }

    /** A seeded direction uniform on the unit sphere (normalised standard Gaussian). */
    public static double[] unitGaussian(int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] u = new double[d];
        double norm = 0;
        for (int i = 0; i < d; i++) {
            u[i] = rnd.nextGaussian();
            norm += u[i] * u[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < d; i++) u[i] /= norm;
        return u;
    }

    /** The raw decoder directions of the condition's features on its decoder side, after checking them. */
    private float[][] directions(Condition.Steer s) {
        float[][] dirs = new float[s.features().size()][];
        for (int j = 0; j < dirs.length; j++) {
            int feature = s.features().get(j);
            if (feature >= cc.dictSize()) throw new IllegalArgumentException(s.key() + ": feature " + feature
                    + " is outside the dictionary 0.." + (cc.dictSize() - 1));
            if (!s.group().contains(cc.partition(), feature)) throw new IllegalArgumentException(s.key() + ": feature "
                    + feature + " is " + FeatureGroup.of(cc.partition(), feature).id() + ", not " + s.group().id());
            if (!cc.partition().allowed(s.decoderSide().index(), feature)) throw new IllegalArgumentException(s.key() + ": feature "
                    + feature + " is " + FeatureGroup.of(cc.partition(), feature).id() + " and has no decoder for model " + s.decoderSide());
            dirs[j] = Steering.featureDirection(cc, feature, s.decoderSide().index());
            requireFinite(dirs[j], s.key() + ": the steering vector (decoder direction of feature " + feature + ")");
        }
        return dirs;
    }

    private BatchStep.Encoded encode(float[][] own, float[][] partner, int m) {
        if (own.length != partner.length) throw new IllegalArgumentException(own.length + " own rows but " + partner.length + " partner rows");
        float[] pairs = new float[own.length * 2 * d];
        for (int p = 0; p < own.length; p++) {
            System.arraycopy(own[p], 0, pairs, p * 2 * d + m * d, d);
            System.arraycopy(partner[p], 0, pairs, p * 2 * d + (1 - m) * d, d);
        }
        return step.encode(pairs, own.length);
    }

    private static double activation(SparseCodes f, int row, int feature) {
        for (int e = 0; e < f.count(row); e++) if (f.feature(row, e) == feature) return f.value(row, e);
        return 0;
    }

    private static float[] plus(float[] x, double[] delta) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] + delta[i]);
        return out;
    }

    private static void requireFinite(double[] v, String what) {
        for (double x : v) if (!Double.isFinite(x)) throw new IllegalArgumentException(what + " is not finite (" + x + ")");
    }

    private static void requireFinite(float[] v, String what) {
        for (float x : v) if (!Float.isFinite(x)) throw new IllegalArgumentException(what + " is not finite (" + x + ")");
    }
}
