package org.dfcspark.eval;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One evaluation condition, as data: which model generates and how its residual at the crosscoder's hook is edited.
 * Serializable, so a Spark task can receive it; {@link #key()} is a stable, human-readable name for tables.
 * {@link ConditionEdits} turns a condition into the edit the generator applies.
 */
public sealed interface Condition extends Serializable {
    /** The model that generates (and whose residual is edited). */
    Side model();

    /** Where the residual is edited; {@code LAST} for clean (it edits nothing). */
    EditPositions positions();

    /** A stable name, e.g. {@code steer/A/scale/a_exclusive/f136/alpha=32/last}. */
    String key();

    /** Whether the condition differs from clean only from the last prompt token on (it can share the prefix). */
    default boolean sharesPrefix() {
        return positions() == EditPositions.LAST;
    }

    /** The unedited model. */
    record Clean(Side model) implements Condition {
        public Clean {
            require(model != null, "clean: model is required");
        }

        @Override
        public EditPositions positions() {
            return EditPositions.LAST;
        }

        @Override
        public String key() {
            return "clean/" + model;
        }
    }

    /**
     * The residual replaced by the crosscoder's reconstruction x̂_m of the pair (A, B) at the same token; with
     * {@code keepError} by {@code x̂_m + (x_m − x̂_m)} (a control that must equal clean).
     */
    record Reconstruction(Side model, EditPositions positions, boolean keepError) implements Condition {
        public Reconstruction {
            require(model != null && positions != null, "reconstruction: model and positions are required");
        }

        @Override
        public String key() {
            return "reconstruction/" + model + "/" + positions.id() + (keepError ? "/keep-error" : "");
        }
    }

    /**
     * Steering with the features {@code features} (in ranked order) of {@code group}; see {@link SteeringMode} for
     * the formulas. {@code decoderSide} is whose decoder half is added: free in {@code add} mode, the model's own in
     * {@code scale} and {@code clamp} (those modes rescale the model's own feature content).
     */
    record Steer(Side model, FeatureGroup group, List<Integer> features, SteeringMode mode, double coefficient,
                 Side decoderSide, EditPositions positions) implements Condition {
        public Steer {
            require(model != null && group != null && mode != null && decoderSide != null && positions != null,
                    "steer: model, group, mode, decoder side and positions are required");
            require(features != null && !features.isEmpty(), "steer: at least one feature is required");
            features = List.copyOf(features);
            require(new HashSet<>(features).size() == features.size(), "steer: feature list " + features + " repeats a feature");
            for (int f : features) require(f >= 0, "steer: feature " + f + " is negative");
            require(Double.isFinite(coefficient), "steer: " + mode.coefficientName() + " must be finite, got " + coefficient);
            require(mode == SteeringMode.ADD || decoderSide == model, "steer: " + mode.id()
                    + " acts on the model's own decoder; decoder side " + decoderSide + " differs from model " + model);
        }

        public static Steer scale(Side model, FeatureGroup group, List<Integer> features, double alpha, EditPositions positions) {
            return new Steer(model, group, features, SteeringMode.SCALE, alpha, model, positions);
        }

        public static Steer clamp(Side model, FeatureGroup group, List<Integer> features, double c, EditPositions positions) {
            return new Steer(model, group, features, SteeringMode.CLAMP, c, model, positions);
        }

        public static Steer add(Side model, FeatureGroup group, List<Integer> features, double beta, Side decoderSide,
                                EditPositions positions) {
            return new Steer(model, group, features, SteeringMode.ADD, beta, decoderSide, positions);
        }

        @Override
        public String key() {
            String f = "f" + features.stream().map(String::valueOf).collect(Collectors.joining(","));
            return "steer/" + model + "/" + mode.id() + "/" + group.id() + "/" + f + "/" + mode.coefficientName() + "="
                    + number(coefficient) + (mode == SteeringMode.ADD ? "/side=" + decoderSide : "") + "/" + positions.id();
        }
    }

    /**
     * Control for a steering condition: at every position {@code like} edits, add a fixed seeded random direction
     * scaled to the norm of {@code like}'s steering vector there.
     */
    record RandomDirection(Steer like, long seed) implements Condition {
        public RandomDirection {
            require(like != null, "random direction: the steering condition it mirrors is required");
        }

        @Override
        public Side model() {
            return like.model();
        }

        @Override
        public EditPositions positions() {
            return like.positions();
        }

        @Override
        public String key() {
            return "random/seed=" + seed + "/" + like.key();
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** 32 and 0.5, not 32.0 and 5E-1. */
    private static String number(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
}
