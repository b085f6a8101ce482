package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * Steering: for every crosscoder × hook × model × partition × mode, Δ against α (one curve per |S|) and against |S|
 * (one curve per α), the random-direction controls dashed beside their curves; one-feature points link to the
 * feature's page. Then the best one-feature effect per layer.
 */
final class SteeringSection {
    private SteeringSection() {}

    static String html(List<Evaluation> evaluations, FeatureLinks links) {
        StringBuilder b = new StringBuilder("<section id=\"steering\"><h2>Steering</h2><p class=\"note\">The top |S| tool-signed features of a partition are "
                + "steered at the last prompt token (prefill only, error kept); Δ = tool correctness − the same model's clean run, paired-t 95% interval. "
                + "Dashed: a random direction of the same norm at the same positions (control).</p>");
        boolean any = false;
        for (Evaluation e : evaluations) {
            Map<String, List<Effect>> groups = new LinkedHashMap<>();
            for (Row r : e.conditions()) {
                String exp = Cols.str(r, "experiment");
                if (!exp.equals("steering") && !exp.equals("control")) continue;
                Effect.of(e, r).ifPresent(x -> groups.computeIfAbsent(groupKey(r), k -> new ArrayList<>()).add(x));
            }
            for (var g : groups.entrySet()) {
                any = true;
                b.append("<h3>").append(esc(e.protocol())).append(" protocol: ").append(esc(g.getKey())).append("</h3><div class=\"pair\">");
                b.append("<figure><figcaption>Δ vs α (one curve per |S|)</figcaption>")
                        .append(LineChart.svg("α (steering coefficient)", "Δ tool correctness (pp)", curves(g.getValue(), "n_features", "alpha", "|S| = ", links)))
                        .append("</figure>");
                b.append("<figure><figcaption>Δ vs |S| (one curve per α)</figcaption>")
                        .append(LineChart.svg("|S| (features steered)", "Δ tool correctness (pp)", curves(g.getValue(), "alpha", "n_features", "α = ", links)))
                        .append("</figure></div>");
            }
            b.append(perLayer(e, links));
        }
        if (!any) b.append("<p class=\"empty\">No steering conditions in this run.</p>");
        return b.append("</section>").toString();
    }

    private static String groupKey(Row r) {
        return Cols.str(r, "crosscoder") + " @ " + Cols.str(r, "hook") + ", model " + Cols.str(r, "model") + ", " + Cols.str(r, "partition") + ", "
                + Cols.str(r, "mode") + " mode" + (Cols.str(r, "side") == null ? "" : ", side " + Cols.str(r, "side")) + ", " + Cols.str(r, "positions");
    }

    /** One curve per value of {@code seriesColumn}, x from {@code xColumn}; controls as dashed curves in the same colour. */
    private static List<LineChart.Series> curves(List<Effect> effects, String seriesColumn, String xColumn, String prefix, FeatureLinks links) {
        Map<Double, List<LineChart.Point>> steer = new TreeMap<>(), control = new TreeMap<>();
        for (Effect x : effects) {
            Row r = x.row();
            double s = Cols.dbl(r, seriesColumn), xv = Cols.dbl(r, xColumn);
            boolean isControl = Cols.is(r, "experiment", "control");
            String href = isControl ? null : links.href(x.evaluation().name(), x.crosscoder(), x.hook(), x.singleFeature());
            String tip = (isControl ? "control " : "") + "α = " + ChartAxis.label(Cols.dbl(r, "alpha")) + ", |S| = " + Cols.integer(r, "n_features")
                    + ", features " + Cols.ints(r, "features") + ": " + Html.ppCi(x.diff(), x.lower(), x.upper()) + " pp";
            (isControl ? control : steer).computeIfAbsent(s, k -> new ArrayList<>()).add(new LineChart.Point(xv, x.diff(), x.lower(), x.upper(), href, tip));
        }
        List<LineChart.Series> out = new ArrayList<>();
        List<Double> keys = new ArrayList<>(steer.keySet());
        for (Double k : control.keySet()) if (!keys.contains(k)) keys.add(k);
        for (int i = 0; i < keys.size(); i++) {
            Double k = keys.get(i);
            if (steer.containsKey(k)) out.add(new LineChart.Series(prefix + ChartAxis.label(k), i, false, steer.get(k)));
            if (control.containsKey(k)) out.add(new LineChart.Series(prefix + ChartAxis.label(k) + " control", i, true, control.get(k)));
        }
        return out;
    }

    /** The largest one-feature effect of each crosscoder × layer (model A, else B; A-exclusive), linked to its feature. */
    private static String perLayer(Evaluation e, FeatureLinks links) {
        List<BarChart.Bar> bars = new ArrayList<>();
        for (String model : List.of("A", "B")) {
            Map<String, Effect> best = new TreeMap<>();
            for (Effect x : Effect.singleFeatureSteering(e, model, "a_exclusive")) {
                best.merge(x.hook() + "\t" + x.crosscoder(), x, (p, q) -> q.diff() > p.diff() ? q : p);
            }
            for (Effect x : best.values().stream().sorted(java.util.Comparator.comparingInt((Effect y) -> Effect.layer(y.hook()))).toList()) {
                bars.add(new BarChart.Bar("layer " + Effect.layer(x.hook()), "L" + Effect.layer(x.hook()) + " " + x.crosscoder() + " #" + x.singleFeature(),
                        "model " + model, x.diff(), x.lower(), x.upper(), links.href(e.name(), x.crosscoder(), x.hook(), x.singleFeature()),
                        "feature #" + x.singleFeature() + ", α = " + ChartAxis.label(Cols.dbl(x.row(), "alpha")) + ": " + Html.ppCi(x.diff(), x.lower(), x.upper())));
            }
        }
        if (bars.isEmpty()) return "";
        return "<figure><figcaption>" + esc(e.protocol()) + " protocol: the best one-feature A-exclusive steering effect per layer and crosscoder "
                + "(click a bar for the feature)</figcaption>" + BarChart.svg("Δ tool correctness (pp)", bars) + "</figure>";
    }
}
