package org.dfcspark.jobs.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.spark.sql.Row;

/**
 * One condition's effect under the evaluation's headline scorer: the paired difference to the same model's clean run
 * (pp) with its 95% interval, plus where it comes from. Static readers pick the paper's three effects out of the
 * conditions table: reconstruction of A, spillover to B (both: last prompt token, error not kept) and steering.
 */
record Effect(Evaluation evaluation, Row row, double diff, Double lower, Double upper, double rate, int n) {

    String crosscoder() {
        return Cols.str(row, "crosscoder");
    }

    String hook() {
        return Cols.str(row, "hook");
    }

    /** The feature of a one-feature steering condition, else null. */
    Integer singleFeature() {
        List<Integer> f = Cols.ints(row, "features");
        return f != null && f.size() == 1 ? f.get(0) : null;
    }

    /** The 95% interval lies above 0. */
    boolean positive() {
        return lower != null && lower > 0;
    }

    static Optional<Effect> of(Evaluation e, Row r) {
        String h = e.headline();
        Double diff = Cols.dbl(r, h + "_diff"), rate = Cols.dbl(r, h + "_rate");
        if (diff == null) return Optional.empty();
        Integer n = Cols.integer(r, h + "_n");
        return Optional.of(new Effect(e, r, 100 * diff, pct(Cols.dbl(r, h + "_diff_lower")), pct(Cols.dbl(r, h + "_diff_upper")),
                rate == null ? Double.NaN : 100 * rate, n == null ? 0 : n));
    }

    /** Reconstruction Δ of {@code model} (A: keeps its tool use; B: spillover), one per crosscoder × hook. */
    static List<Effect> reconstruction(Evaluation e, String model) {
        List<Effect> out = new ArrayList<>();
        for (Row r : e.conditions()) {
            if (Cols.is(r, "experiment", "reconstruction") && Cols.is(r, "model", model) && Cols.is(r, "positions", "last")
                    && Boolean.FALSE.equals(Cols.bool(r, "keep_error"))) {
                of(e, r).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The clean rate (%) of {@code model} at a crosscoder × hook (the same prompts), NaN when not run. */
    static double cleanRate(Evaluation e, String model, String crosscoder, String hook) {
        for (Row r : e.conditions()) {
            if (Cols.is(r, "experiment", "clean") && Cols.is(r, "model", model) && Cols.is(r, "crosscoder", crosscoder) && Cols.is(r, "hook", hook)) {
                Double rate = Cols.dbl(r, e.headline() + "_rate");
                return rate == null ? Double.NaN : 100 * rate;
            }
        }
        return Double.NaN;
    }

    /** Steering conditions of one feature in {@code partition} for {@code model}. */
    static List<Effect> singleFeatureSteering(Evaluation e, String model, String partition) {
        List<Effect> out = new ArrayList<>();
        for (Row r : e.conditions()) {
            if (Cols.is(r, "experiment", "steering") && Cols.is(r, "model", model) && Cols.is(r, "partition", partition)
                    && Integer.valueOf(1).equals(Cols.integer(r, "n_features"))) {
                of(e, r).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The largest one-feature A-exclusive steering effect on {@code model} (the paper's headline steers A). */
    static Optional<Effect> bestSteering(Evaluation e, String model) {
        return singleFeatureSteering(e, model, "a_exclusive").stream().max(Comparator.comparingDouble(Effect::diff));
    }

    /** The largest one-feature A-exclusive steering effect on either model. */
    static Optional<Effect> bestSteering(Evaluation e) {
        return List.of("A", "B").stream().flatMap(m -> bestSteering(e, m).stream()).max(Comparator.comparingDouble(Effect::diff));
    }

    /** The hooks that have reconstruction conditions, sorted by layer. */
    static List<String> hooks(Evaluation e) {
        TreeSet<String> hooks = new TreeSet<>(Comparator.comparingInt(Effect::layer).thenComparing(Comparator.naturalOrder()));
        for (Row r : e.conditions()) hooks.add(Cols.str(r, "hook"));
        return new ArrayList<>(hooks);
    }

    static int layer(String hook) {
        String[] p = hook.split("\\.");
        try {
            return p.length > 1 ? Integer.parseInt(p[1]) : -1;
        } catch (NumberFormatException x) {
            return -1;
        }
    }

    private static Double pct(Double v) {
        return v == null ? null : 100 * v;
    }
}
