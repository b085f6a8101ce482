package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * Reconstruction and spillover: Δ_A and Δ_B with 95% intervals per crosscoder (grouped by variant family and coupling,
 * ordered by D and k) and per layer, and every reconstruction and clean condition under all four scorers.
 */
final class EffectsSection {
    private EffectsSection() {}

    static String html(List<Evaluation> evaluations, Map<String, CrosscoderLabel> labels) {
        StringBuilder b = new StringBuilder("<section id=\"effects\"><h2>Reconstruction (Δ<sub>A</sub>) and spillover (Δ<sub>B</sub>)</h2>"
                + "<p class=\"note\">Each model's residual at the last prompt token is replaced by the crosscoder's reconstruction (prefill only, error "
                + "not kept); Δ = tool correctness of the patched run − the clean run on the same prompts, paired-t 95% interval.</p>");
        for (Evaluation e : evaluations) {
            List<Effect> a = Effect.reconstruction(e, "A"), bb = Effect.reconstruction(e, "B");
            if (a.isEmpty() && bb.isEmpty()) continue;
            Comparator<Effect> byLabel = Comparator.comparing((Effect x) -> labels.get(x.crosscoder()), CrosscoderLabel.ORDER)
                    .thenComparingInt(x -> Effect.layer(x.hook()));
            List<BarChart.Bar> perCrosscoder = new ArrayList<>(), perLayer = new ArrayList<>();
            for (List<Effect> list : List.of(a, bb)) {
                for (Effect x : list.stream().sorted(byLabel).toList()) {
                    CrosscoderLabel l = labels.get(x.crosscoder());
                    String series = list == a ? "Δ_A (reconstruction)" : "Δ_B (spillover)";
                    String tip = series + ", " + x.crosscoder() + " @ " + x.hook() + ": " + Html.ppCi(x.diff(), x.lower(), x.upper()) + " pp, n = " + x.n();
                    perCrosscoder.add(new BarChart.Bar(l.group(), x.crosscoder() + " " + l.shape() + " L" + Effect.layer(x.hook()), series, x.diff(),
                            x.lower(), x.upper(), null, tip));
                }
            }
            for (List<Effect> list : List.of(a, bb)) {
                for (Effect x : list.stream().sorted(Comparator.comparingInt((Effect y) -> Effect.layer(y.hook())).thenComparing(byLabel)).toList()) {
                    String series = list == a ? "Δ_A (reconstruction)" : "Δ_B (spillover)";
                    perLayer.add(new BarChart.Bar("layer " + Effect.layer(x.hook()), "L" + Effect.layer(x.hook()) + " " + x.crosscoder(), series, x.diff(),
                            x.lower(), x.upper(), null, series + ", " + x.crosscoder() + " @ " + x.hook() + ": " + Html.ppCi(x.diff(), x.lower(), x.upper())));
                }
            }
            b.append("<h3>").append(esc(e.protocol())).append(" protocol (").append(esc(e.dir().getFileName())).append("), ").append(esc(e.headline()))
                    .append(" scorer</h3>");
            b.append("<figure><figcaption>Δ per crosscoder, grouped by family · coupling, ordered by D and k</figcaption>")
                    .append(BarChart.svg("Δ tool correctness (pp)", perCrosscoder)).append("</figure>");
            b.append("<figure><figcaption>Δ per layer</figcaption>").append(BarChart.svg("Δ tool correctness (pp)", perLayer)).append("</figure>");
            b.append(scorerTable(e));
        }
        return b.append("</section>").toString();
    }

    /** Clean and reconstruction conditions under every scorer: rate and Δ with intervals. */
    private static String scorerTable(Evaluation e) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : e.conditions()) {
            String exp = Cols.str(r, "experiment");
            if (!exp.equals("clean") && !exp.equals("reconstruction")) continue;
            List<String> row = new ArrayList<>(List.of(esc(Cols.str(r, "crosscoder")), esc(Cols.str(r, "hook")), esc(exp), esc(Cols.str(r, "model")),
                    esc(Cols.str(r, "positions")), esc(String.valueOf(Cols.get(r, "keep_error")))));
            for (String s : List.of("strict", "paper", "toolrl", "bfcl")) {
                Double rate = Cols.dbl(r, s + "_rate");
                row.add((rate == null ? "–" : Html.num(100 * rate, 0) + "%") + (exp.equals("clean") ? "" : " / " + Html.ppCi(pct(Cols.dbl(r, s + "_diff")),
                        pct(Cols.dbl(r, s + "_diff_lower")), pct(Cols.dbl(r, s + "_diff_upper")))));
            }
            rows.add(row);
        }
        return "<details><summary>Clean and reconstruction conditions under all four scorers (rate / Δ pp [95%])</summary>"
                + Html.table("conditions", List.of("crosscoder", "hook", "experiment", "model", "positions", "keep error", "strict", "paper", "toolrl", "bfcl"), rows)
                + "</details>";
    }

    static Double pct(Double v) {
        return v == null ? null : 100 * v;
    }
}
