package org.dfcspark.jobs.evaluate;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.dfcspark.eval.Condition;
import org.dfcspark.eval.FeatureGroup;
import org.dfcspark.eval.FeatureRanking;
import org.dfcspark.eval.Side;

/**
 * Expands the config's experiments into the conditions of one crosscoder at one hook. Steering takes the top
 * |S| tool-signed features (Cohen's d > 0) of the named partition in the crosscoder's ranking; a size larger than the
 * partition's tool-signed features is skipped (and said), not padded with other features. Every model that any
 * condition uses gets its clean condition (the paired differences need it), even when no clean experiment names it.
 */
public final class ConditionPlan {
    private ConditionPlan() {}

    public static List<PlannedCondition> expand(List<Experiment> experiments, Map<FeatureGroup, List<FeatureRanking.Scored>> ranking,
                                                long seed, Consumer<String> log) {
        List<PlannedCondition> out = new ArrayList<>();
        List<Condition.Steer> steered = new ArrayList<>();
        for (Experiment e : experiments) {
            if (e instanceof Experiment.Clean c) {
                for (Side m : c.models()) add(out, e, new Condition.Clean(m));
            } else if (e instanceof Experiment.Reconstruction r) {
                for (Side m : r.models()) for (boolean keep : r.keepError()) add(out, e, new Condition.Reconstruction(m, r.positions(), keep));
            } else if (e instanceof Experiment.Steering s) {
                List<FeatureRanking.Scored> ranked = ranking.get(s.partition());
                for (int size : s.sizes()) {
                    List<Integer> features = FeatureRanking.topToolSigned(ranked, size);
                    if (features.size() < size) {
                        log.accept("steering " + s.partition().id() + " |S| = " + size + ": only " + features.size() + " tool-signed feature(s); skipped");
                        continue;
                    }
                    for (double coef : s.coefficients()) {
                        Condition.Steer c = new Condition.Steer(s.model(), s.partition(), features, s.mode(), coef, s.side(), s.positions());
                        add(out, e, c);
                        steered.add(c);
                    }
                }
            } // controls come after all steering conditions are known
        }
        for (Experiment e : experiments) {
            if (e instanceof Experiment.Control c) {
                for (Condition.Steer s : steered) if (s.model() == c.model()) add(out, e, new Condition.RandomDirection(s, seed));
            }
        }
        Set<Side> used = EnumSet.noneOf(Side.class), clean = EnumSet.noneOf(Side.class);
        for (PlannedCondition p : out) {
            used.add(p.condition().model());
            if (p.condition() instanceof Condition.Clean) clean.add(p.condition().model());
        }
        for (Side m : used) if (!clean.contains(m)) out.add(0, new PlannedCondition("clean", new Condition.Clean(m)));
        return out;
    }

    /** Adds a condition once (two experiments may produce the same one). */
    private static void add(List<PlannedCondition> out, Experiment e, Condition c) {
        for (PlannedCondition p : out) if (p.condition().equals(c)) return;
        out.add(new PlannedCondition(e.type(), c));
    }
}
