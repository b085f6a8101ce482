package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.dfcspark.eval.FeatureRanking;

/**
 * Feature dashboards: per crosscoder × hook × protocol an index (a Cohen's d chart and a table, both linking to the
 * pages), then one page per shown feature: its statistics, the activation histogram on tool vs generic prompts, its
 * top-activating contexts with every token shaded by the feature's activation, and every steering condition that
 * used it. A page is a section shown when its anchor is the URL's fragment (CSS {@code :target}): one file, no script.
 */
final class FeatureSection {
    private static final int HIST_BINS = 12;

    private FeatureSection() {}

    static String html(List<TargetEvidence> evidence) {
        StringBuilder index = new StringBuilder("<section id=\"features\"><h2>Features</h2><p class=\"note\">The top " + ShownFeature.PER_PARTITION
                + " tool-signed features (Cohen's d > 0 on tool vs generic ranking prompts) of each partition. Click a bar or a feature for its page.</p>");
        StringBuilder pages = new StringBuilder();
        for (TargetEvidence e : evidence) {
            Evaluation ev = e.evaluation();
            String title = e.target().crosscoder() + " @ " + e.target().hook() + " (" + ev.name() + ", " + e.protocol() + " protocol)";
            index.append("<h3>").append(esc(title)).append("</h3>");
            if (e.features().isEmpty()) {
                index.append("<p class=\"empty\">No tool-signed feature.</p>");
                continue;
            }
            List<BarChart.Bar> bars = new ArrayList<>();
            List<List<String>> rows = new ArrayList<>();
            for (ShownFeature f : e.features()) {
                bars.add(new BarChart.Bar(f.partition(), "#" + f.feature(), "Cohen's d", f.cohensD(), null, null, f.anchor(),
                        String.format(Locale.ROOT, "%s #%d (rank %d): d = %.2f, AUROC = %.2f", f.partition(), f.feature(), f.rank(), f.cohensD(), f.auroc())));
                rows.add(List.of(Html.link(f.anchor(), "#" + f.feature()), esc(f.partition()), String.valueOf(f.rank()), Html.num(f.cohensD(), 2),
                        Html.num(f.auroc(), 3), Html.num(f.meanTool(), 3), Html.num(f.meanGeneric(), 3), Html.num(e.decoder().get(f.feature()).relNormA(), 3),
                        bestSteering(ev, f)));
                pages.append(page(ev, e, f));
            }
            index.append("<figure><figcaption>Cohen's d of the shown features, by partition</figcaption>").append(BarChart.svg("Cohen's d", bars))
                    .append("</figure>");
            index.append(Html.table("features", List.of("feature", "partition", "rank", "Cohen's d", "AUROC", "mean (tool)", "mean (generic)",
                    "‖d<sub>A</sub>‖/(‖d<sub>A</sub>‖+‖d<sub>B</sub>‖)", "best steering Δ (pp)"), rows));
        }
        return index.append("</section>").append(pages).toString();
    }

    private static String page(Evaluation ev, TargetEvidence e, ShownFeature f) {
        StringBuilder b = new StringBuilder("<section class=\"feature-page\" id=\"" + f.anchor() + "\">");
        b.append("<p><a href=\"#features\">← all features</a></p><h2>Feature #").append(f.feature()).append(" · ").append(esc(f.partition())).append(" · ")
                .append(esc(e.target().crosscoder())).append(" @ ").append(esc(e.target().hook())).append(" (").append(esc(e.protocol())).append(" protocol)</h2>");
        TargetEvidence.Latent l = e.decoder().get(f.feature());
        double[] tool = e.onTool().get(f.feature()), generic = e.onGeneric().get(f.feature());
        b.append(Html.table("facts", List.of("rank in partition", "Cohen's d", "AUROC", "mean on tool", "mean on generic", "‖d<sub>A</sub>‖", "‖d<sub>B</sub>‖",
                "relative norm (A)", "cos(d<sub>A</sub>, d<sub>B</sub>)", "d recomputed here"), List.of(List.of(String.valueOf(f.rank()), Html.num(f.cohensD(), 3),
                Html.num(f.auroc(), 3), Html.num(f.meanTool(), 4), Html.num(f.meanGeneric(), 4), Html.num(l.normA(), 4), Html.num(l.normB(), 4),
                Html.num(l.relNormA(), 3), Html.num(l.cosine(), 3), Html.num(FeatureRanking.cohensD(tool, generic), 3)))));
        b.append("<figure><figcaption>Activation at the last prompt token: ").append(tool.length).append(" tool vs ").append(generic.length)
                .append(" generic ranking prompts (share of each set per bin)</figcaption>").append(histogram(tool, generic)).append("</figure>");
        b.append("<h3>Top-activating contexts</h3>");
        var contexts = e.contexts().getOrDefault(f.feature(), List.of());
        if (contexts.isEmpty()) b.append("<p class=\"empty\">The feature is zero on every token of the scanned prompts.</p>");
        for (TargetEvidence.Context c : contexts) b.append(context(c));
        b.append("<h3>Steering effect</h3>").append(steeringTable(ev, e, f));
        return b.append("</section>").toString();
    }

    /** Tokens shaded by activation (relative to the context's peak); the activating token is outlined. */
    private static String context(TargetEvidence.Context c) {
        StringBuilder b = new StringBuilder("<div class=\"ctx\"><span class=\"ctx-meta\">").append(esc(c.promptSet())).append(" · ").append(esc(c.promptId()))
                .append(" · pos ").append(c.position()).append(" · ").append(Html.num(c.activation(), 3)).append("</span>");
        double peak = 0;
        for (double v : c.activations()) peak = Math.max(peak, v);
        for (int i = 0; i < c.tokens().size(); i++) {
            double a = peak > 0 ? c.activations()[i] / peak : 0;
            b.append("<span class=\"tok").append(i == c.center() ? " peak" : "").append("\" style=\"background:rgba(255,127,14,")
                    .append(String.format(Locale.ROOT, "%.2f", a)).append(")\" title=\"").append(Html.num(c.activations()[i], 3)).append("\">")
                    .append(esc(c.tokens().get(i).replace("\n", "⏎"))).append("</span>");
        }
        return b.append("</div>").toString();
    }

    private static String histogram(double[] tool, double[] generic) {
        double max = 0;
        for (double v : tool) max = Math.max(max, v);
        for (double v : generic) max = Math.max(max, v);
        if (max == 0) max = 1;
        List<BarChart.Bar> bars = new ArrayList<>();
        for (String set : List.of("tool", "generic")) {
            double[] v = set.equals("tool") ? tool : generic;
            int[] counts = new int[HIST_BINS];
            for (double x : v) counts[Math.min(HIST_BINS - 1, (int) (x / max * HIST_BINS))]++;
            for (int i = 0; i < HIST_BINS; i++) {
                String bin = ChartAxis.label(Double.parseDouble(String.format(Locale.ROOT, "%.3g", i * max / HIST_BINS)));
                bars.add(new BarChart.Bar(null, bin, set, v.length == 0 ? 0 : 100.0 * counts[i] / v.length, null, null, null,
                        String.format(Locale.ROOT, "%s prompts: %d of %d in bin %d", set, counts[i], v.length, i)));
            }
        }
        return BarChart.svg("% of prompts", bars);
    }

    private static List<Row> usingFeature(Evaluation ev, TargetEvidence e, int feature) {
        List<Row> out = new ArrayList<>();
        for (Row r : ev.conditions()) {
            List<Integer> fs = Cols.ints(r, "features");
            if (Cols.is(r, "experiment", "steering") && Cols.is(r, "crosscoder", e.target().crosscoder()) && Cols.is(r, "hook", e.target().hook())
                    && fs != null && fs.contains(feature)) out.add(r);
        }
        return out;
    }

    private static String steeringTable(Evaluation ev, TargetEvidence e, ShownFeature f) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : usingFeature(ev, e, f.feature())) {
            Effect.of(ev, r).ifPresent(x -> rows.add(List.of(esc(Cols.str(r, "model")), esc(Cols.str(r, "mode")), ChartAxis.label(Cols.dbl(r, "alpha")),
                    esc(String.valueOf(Cols.ints(r, "features"))), Html.num(x.rate(), 0) + "%", "<b>" + Html.ppCi(x.diff(), x.lower(), x.upper()) + "</b>",
                    String.valueOf(x.n()))));
        }
        if (rows.isEmpty()) return "<p class=\"empty\">No steering condition of this run used this feature.</p>";
        return Html.table("steer", List.of("model", "mode", "α", "features S", "rate (" + esc(ev.headline()) + ")", "Δ (pp) [95%]", "n"), rows);
    }

    /** The feature's largest steering Δ (any condition using it), as a cell. */
    private static String bestSteering(Evaluation ev, ShownFeature f) {
        Effect best = null;
        for (Row r : ev.conditions()) {
            List<Integer> fs = Cols.ints(r, "features");
            if (!Cols.is(r, "experiment", "steering") || !Cols.is(r, "crosscoder", f.crosscoder()) || !Cols.is(r, "hook", f.hook()) || fs == null
                    || !fs.contains(f.feature())) continue;
            Effect x = Effect.of(ev, r).orElse(null);
            if (x != null && (best == null || x.diff() > best.diff())) best = x;
        }
        return best == null ? "–" : Html.ppCi(best.diff(), best.lower(), best.upper()) + " <small>(|S| = " + Cols.integer(best.row(), "n_features") + ")</small>";
    }
}
