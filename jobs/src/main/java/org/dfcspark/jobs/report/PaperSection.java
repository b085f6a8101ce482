package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.dfcspark.toolcall.stats.MeanStd;

/**
 * "Paper vs ours": the paper's headline as stated and as its result files give it, beside this run's in every
 * protocol it ran, in the same columns, with what each row measured; then the verdict on the three effects, and the
 * per-crosscoder rows of both.
 */
final class PaperSection {
    private static final List<String> HEADER = List.of("source", "protocol", "models (A / B)", "prompts", "scorer", "n",
            "A clean %", "Δ<sub>A</sub> reconstruction (pp)", "B clean %", "Δ<sub>B</sub> spillover (pp)",
            "steering, one A-exclusive feature (pp; ours: the largest on either model)");

    private PaperSection() {}

    static String html(PaperResults paper, List<Evaluation> evaluations, FeatureLinks links, Map<String, CrosscoderLabel> labels) {
        StringBuilder b = new StringBuilder("<section id=\"paper\"><h2>Paper vs ours</h2>");
        b.append(verdict(evaluations, links));
        List<List<String>> rows = new ArrayList<>();
        PaperResults.Stated s = paper.stated();
        String paperModels = esc(paper.modelA() + " / " + paper.modelB());
        String paperSetting = "raw text; crosscoder trained on z-scored data, fed raw activations; layer 13";
        rows.add(List.of("paper, as stated", paperSetting, paperModels, "ToolRL test", "paper (tool name only)", paper.sweepSize() + " crosscoders",
                "–", "<b>" + Html.ppSd(s.aMean(), s.aStd()) + "</b>", "–", "<b>" + Html.ppSd(s.bMean(), s.bStd()) + "</b>",
                "<b>" + Html.ppCi(s.steerMean(), s.steerLower(), s.steerUpper()) + "</b><br><small>" + esc(s.steerCrosscoder()) + " #" + s.steerFeature()
                        + ", α = " + ChartAxis.label(s.steerAlpha()) + ", model A, " + s.steerPrompts() + " prompts</small>"));
        MeanStd a = paper.reconstructionA(), bb = paper.spilloverB();
        StringBuilder steerB = new StringBuilder("not in its result files; results_steer.jsonl steers model B:");
        for (Map.Entry<Double, MeanStd> e : paper.steeringBByScale().entrySet()) {
            steerB.append("<br><small>scale ").append(ChartAxis.label(e.getKey())).append(": Δ<sub>B</sub> ").append(esc(e.getValue().toString())).append("</small>");
        }
        rows.add(List.of("paper, recomputed from results_full.jsonl", paperSetting, paperModels, paper.promptsPerRun() + " ToolRL test prompts per model",
                "paper (tool name only)", a.n() + " crosscoders", Html.num(paper.clean("A"), 1), esc(a.toString()), Html.num(paper.clean("B"), 1),
                esc(bb.toString()), steerB.toString()));
        for (Evaluation e : evaluations) rows.addAll(ours(e, links));
        b.append(Html.table("paper-table", HEADER, rows));
        b.append("<p class=\"note\">Δ = tool correctness after − before, in percentage points. The paper's rows are mean ± sample SD over its sweep; "
                + "ours are mean ± SD over this run's crosscoders (with one crosscoder: the paired-t 95% interval over prompts). Stated values: "
                + esc(s.source()) + ". Recomputed: data/paper-results/ (" + a.n() + " of the sweep's " + paper.sweepSize()
                + " crosscoders have a row).</p>");
        b.append(variantTables(paper, evaluations, labels));
        return b.append("</section>").toString();
    }

    /** One row per hook of an evaluation: this run's three effects in the paper's columns. */
    private static List<List<String>> ours(Evaluation e, FeatureLinks links) {
        List<List<String>> rows = new ArrayList<>();
        for (String hook : Effect.hooks(e)) {
            List<Effect> ra = Effect.reconstruction(e, "A").stream().filter(x -> x.hook().equals(hook)).toList();
            List<Effect> rb = Effect.reconstruction(e, "B").stream().filter(x -> x.hook().equals(hook)).toList();
            Optional<Effect> steer = Effect.bestSteering(e).filter(x -> x.hook().equals(hook));
            int n = ra.isEmpty() ? (rb.isEmpty() ? 0 : rb.get(0).n()) : ra.get(0).n();
            String models = esc(Path.of(e.options().modelA()).getFileName() + " / " + Path.of(e.options().modelB()).getFileName());
            String setting = e.protocol().equals("paper") ? "paper: raw text, normalisation dropped" : "fixed: chat template, crosscoder's normalisation";
            rows.add(List.of("ours (" + esc(e.dir().getFileName()) + ")", esc(setting + "; " + hook), models,
                    n + " × " + esc(Path.of(e.options().prompts()).getFileName()), esc(e.headline()), ra.size() + " crosscoder(s)",
                    Html.num(cleanMean(e, ra, "A"), 1), aggregate(ra), Html.num(cleanMean(e, rb, "B"), 1), aggregate(rb),
                    steer.map(x -> steeringCell(x, links)).orElse("not run")));
        }
        return rows;
    }

    private static String steeringCell(Effect x, FeatureLinks links) {
        String href = links.href(x.evaluation().name(), x.crosscoder(), x.hook(), x.singleFeature());
        String feature = "#" + x.singleFeature();
        return "<b>" + Html.ppCi(x.diff(), x.lower(), x.upper()) + "</b><br><small>" + esc(x.crosscoder()) + " "
                + (href == null ? esc(feature) : Html.link(href, feature)) + ", " + esc(Cols.str(x.row(), "mode")) + " "
                + ChartAxis.label(Cols.dbl(x.row(), "alpha")) + ", model " + esc(Cols.str(x.row(), "model")) + ", " + x.n() + " prompts</small>";
    }

    /** Mean ± SD over crosscoders; one crosscoder: its 95% interval. */
    static String aggregate(List<Effect> effects) {
        if (effects.isEmpty()) return "not run";
        if (effects.size() == 1) return "<b>" + Html.ppCi(effects.get(0).diff(), effects.get(0).lower(), effects.get(0).upper()) + "</b>";
        MeanStd m = MeanStd.of(effects.stream().mapToDouble(Effect::diff).toArray());
        return "<b>" + Html.ppSd(m.mean(), m.std()) + "</b>";
    }

    private static double cleanMean(Evaluation e, List<Effect> effects, String model) {
        return effects.stream().mapToDouble(x -> Effect.cleanRate(e, model, x.crosscoder(), x.hook())).average().orElse(Double.NaN);
    }

    /** Whether each of the paper's three effects appears in this run, how strong, and which feature carries it. */
    private static String verdict(List<Evaluation> evaluations, FeatureLinks links) {
        StringBuilder b = new StringBuilder("<div class=\"verdict\"><h3>The paper's three effects in this run</h3><ul>");
        for (Evaluation e : evaluations) {
            String p = "<span class=\"protocol\">" + esc(e.protocol()) + " protocol, " + esc(e.headline()) + " scorer</span> ";
            b.append("<li>").append(p).append(effectLine("Reconstruction keeps A's tool use (Δ<sub>A</sub>)", Effect.reconstruction(e, "A"))).append("</li>");
            b.append("<li>").append(p).append(effectLine("Capability spillover to B (Δ<sub>B</sub>)", Effect.reconstruction(e, "B"))).append("</li>");
            for (String model : List.of("A", "B")) {
                Optional<Effect> s = Effect.bestSteering(e, model);
                if (s.isEmpty() && model.equals("B")) continue;
                b.append("<li>").append(p).append("Steering model ").append(model).append(" with one A-exclusive feature: ");
                if (s.isEmpty()) {
                    b.append("<span class=\"absent\">not run</span>");
                } else {
                    b.append(s.get().positive() ? "<span class=\"present\">appears</span>" : "<span class=\"absent\">does not appear</span>").append(", ")
                            .append(steeringCell(s.get(), links).replace("<br>", " "));
                }
                b.append("</li>");
            }
        }
        return b.append("</ul></div>").toString();
    }

    private static String effectLine(String what, List<Effect> effects) {
        if (effects.isEmpty()) return what + ": <span class=\"absent\">not run</span>";
        long positive = effects.stream().filter(Effect::positive).count();
        String word = positive == effects.size() ? "<span class=\"present\">appears</span>"
                : positive > 0 ? "<span class=\"partial\">appears in some crosscoders</span>" : "<span class=\"absent\">does not appear</span>";
        return String.format(Locale.ROOT, "%s: %s, %s (95%% interval above 0 in %d of %d crosscoder × hook)", what, word, aggregate(effects),
                positive, effects.size());
    }

    /** The paper's per-crosscoder rows and ours, same columns. */
    private static String variantTables(PaperResults paper, List<Evaluation> evaluations, Map<String, CrosscoderLabel> labels) {
        List<List<String>> rows = new ArrayList<>();
        for (PaperResults.Variant v : paper.variants()) {
            rows.add(List.of("paper", esc(v.name()), v.family(), String.valueOf(v.dictSize()), String.valueOf(v.k()), Html.num(v.exclusivePct(), 0),
                    Html.num(v.cleanA(), 0), Html.pp(v.deltaA()), Html.num(v.cleanB(), 0), Html.pp(v.deltaB()), String.valueOf(v.n())));
        }
        List<List<String>> ours = new ArrayList<>();
        for (Evaluation e : evaluations) {
            for (Effect a : Effect.reconstruction(e, "A")) {
                Effect b = Effect.reconstruction(e, "B").stream().filter(x -> x.crosscoder().equals(a.crosscoder()) && x.hook().equals(a.hook()))
                        .findFirst().orElse(null);
                CrosscoderLabel l = labels.get(a.crosscoder());
                ours.add(List.of("ours, " + esc(e.protocol()), esc(a.crosscoder() + " @ " + a.hook()), l == null ? "" : l.family() + " · " + l.coupling(),
                        l == null ? "" : String.valueOf(l.dictSize()), l == null ? "" : String.valueOf(l.k()), l == null ? "" : Html.num(l.exclusivePct(), 0),
                        Html.num(Effect.cleanRate(e, "A", a.crosscoder(), a.hook()), 0), Html.ppCi(a.diff(), a.lower(), a.upper()),
                        Html.num(Effect.cleanRate(e, "B", a.crosscoder(), a.hook()), 0), b == null ? "–" : Html.ppCi(b.diff(), b.lower(), b.upper()),
                        String.valueOf(a.n())));
            }
        }
        ours.addAll(rows);
        return "<details><summary>Per crosscoder: this run's and the paper's " + rows.size() + " rows</summary>"
                + Html.table("variants", List.of("source", "crosscoder", "family", "D", "k", "excl %", "A clean %", "Δ<sub>A</sub>", "B clean %",
                "Δ<sub>B</sub>", "n"), ours) + "</details>";
    }
}
