package org.dfcspark.jobs.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A run's headline numbers in plain text, one {@link Headline} per evaluation × crosscoder × hook: the clean rates,
 * reconstruction of A (Δ_A) and of B (spillover, Δ_B), the top A-exclusive feature, and the strongest one-feature
 * A-exclusive steering of B beside its random-direction control. What {@code bin/dfc demo} prints after the report;
 * the same effects the report's sections draw ({@link Effect}), under each evaluation's headline scorer.
 */
public final class Headlines {
    /** A condition's rate and its paired difference to the same model's clean run, in percent. */
    public record Change(String condition, double rate, double diff, Double lower, Double upper) {
        static Change of(Effect e) {
            return new Change(Cols.str(e.row(), "condition_key"), e.rate(), e.diff(), e.lower(), e.upper());
        }

        /** {@code 87.5% (Δ +87.5 pp [+57.9, +117.1])}, the Δ named {@code delta}. */
        public String describe(String delta) {
            String ci = lower == null || upper == null ? "" : String.format(Locale.ROOT, " [%+.1f, %+.1f]", lower, upper);
            return String.format(Locale.ROOT, "%.1f%% (%s %+.1f pp%s)", rate, delta, diff, ci);
        }
    }

    /** A feature's separation of tool from generic prompts. */
    public record Feature(int index, double cohensD, double auroc) {}

    /** Null members: the evaluation did not run that experiment (or the crosscoder has no A-exclusive features). */
    public record Headline(String evaluation, String scorer, String crosscoder, String hook, double cleanA, double cleanB, Change reconstructionA,
                           Change reconstructionB, Feature topAExclusive, Change steeringB, Change controlB) {

        /** Two lines: the reconstruction effects, then the top feature and what steering B with it did. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "%s %s @ %s (%s scorer): clean A %.1f%%, B %.1f%%; reconstructed A %s, B %s",
                    evaluation, crosscoder, hook, scorer, cleanA, cleanB, describe(reconstructionA, "Δ_A"), describe(reconstructionB, "spillover Δ_B")));
            String feature = topAExclusive == null ? "no A-exclusive feature"
                    : String.format(Locale.ROOT, "top A-exclusive feature #%d (Cohen's d %.2f, AUROC %.2f)", topAExclusive.index(),
                    topAExclusive.cohensD(), topAExclusive.auroc());
            String steer = steeringB == null ? "" : "; B steered (" + steeringB.condition() + ") " + steeringB.describe("Δ")
                    + (controlB == null ? "" : ", a random direction of the same norm " + controlB.describe("Δ"));
            out.add("    " + feature + steer);
            return out;
        }

        private static String describe(Change c, String delta) {
            return c == null ? "not run" : c.describe(delta);
        }
    }

    private Headlines() {}

    /** The headlines of every evaluation in {@code runDir} (an experiment's OUT, or a directory of evaluations). */
    public static List<Headline> of(SparkSession spark, Path runDir) throws IOException {
        List<Headline> out = new ArrayList<>();
        for (Path dir : RunLayout.of(runDir).evaluations()) {
            Evaluation e = Evaluation.read(spark, dir);
            for (String[] target : targets(e)) out.add(headline(e, target[0], target[1]));
        }
        return out;
    }

    private static Headline headline(Evaluation e, String crosscoder, String hook) {
        Change reconA = at(Effect.reconstruction(e, "A"), crosscoder, hook), reconB = at(Effect.reconstruction(e, "B"), crosscoder, hook);
        Optional<Effect> steer = Effect.singleFeatureSteering(e, "B", "a_exclusive").stream()
                .filter(x -> x.crosscoder().equals(crosscoder) && x.hook().equals(hook)).max(Comparator.comparingDouble(Effect::diff));
        Change control = steer.flatMap(s -> controlOf(e, s.row())).map(Change::of).orElse(null);
        return new Headline(e.name(), e.headline(), crosscoder, hook, Effect.cleanRate(e, "A", crosscoder, hook), Effect.cleanRate(e, "B", crosscoder, hook),
                reconA, reconB, topAExclusive(e, crosscoder, hook), steer.map(Change::of).orElse(null), control);
    }

    /** The crosscoder × hook pairs in the conditions table, in table order. */
    private static List<String[]> targets(Evaluation e) {
        List<String[]> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Row r : e.conditions()) {
            String key = Cols.str(r, "crosscoder") + "\n" + Cols.str(r, "hook");
            if (!seen.contains(key)) {
                seen.add(key);
                out.add(new String[] {Cols.str(r, "crosscoder"), Cols.str(r, "hook")});
            }
        }
        return out;
    }

    private static Change at(List<Effect> effects, String crosscoder, String hook) {
        return effects.stream().filter(x -> x.crosscoder().equals(crosscoder) && x.hook().equals(hook)).findFirst().map(Change::of).orElse(null);
    }

    /** The random-direction control of a steering condition: same model, target, mode, strength and features. */
    private static Optional<Effect> controlOf(Evaluation e, Row steering) {
        for (Row r : e.conditions()) {
            if (Cols.is(r, "experiment", "control") && sameCondition(r, steering)) return Effect.of(e, r);
        }
        return Optional.empty();
    }

    private static boolean sameCondition(Row a, Row b) {
        for (String c : List.of("crosscoder", "hook", "model", "mode", "partition", "alpha", "side", "positions")) {
            if (!java.util.Objects.equals(Cols.get(a, c), Cols.get(b, c))) return false;
        }
        return java.util.Objects.equals(Cols.ints(a, "features"), Cols.ints(b, "features"));
    }

    private static Feature topAExclusive(Evaluation e, String crosscoder, String hook) {
        return e.features().stream()
                .filter(r -> Cols.is(r, "crosscoder", crosscoder) && Cols.is(r, "hook", hook) && Cols.is(r, "partition", "a_exclusive"))
                .filter(r -> Cols.dbl(r, "cohens_d") != null)
                .max(Comparator.comparingDouble(r -> Cols.dbl(r, "cohens_d")))
                .map(r -> new Feature(Cols.integer(r, "feature"), Cols.dbl(r, "cohens_d"), Cols.dbl(r, "auroc"))).orElse(null);
    }
}
