package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Row;

/**
 * Crosscoder-diffing views per crosscoder: the relative decoder norm ‖d_A‖ / (‖d_A‖ + ‖d_B‖) per latent by partition,
 * the cosine of each latent's A and B decoder directions, and the decomposition of the mean A−B difference (from the
 * ranking prompts' last tokens; and, when the run has a sweep, each variant's shares from its summary).
 */
final class DiffingSection {
    static final int BINS = 20;

    private DiffingSection() {}

    static String html(List<TargetEvidence> evidence, List<Row> sweep) {
        StringBuilder b = new StringBuilder("<section id=\"diffing\"><h2>Crosscoder diffing</h2>");
        Set<String> seen = new HashSet<>();
        for (TargetEvidence e : evidence) {
            if (!seen.add(e.target().crosscoder())) continue;
            b.append("<h3>").append(esc(e.target().crosscoder())).append("</h3><div class=\"pair\">");
            b.append("<figure><figcaption>Relative decoder norm ‖d<sub>A</sub>‖ / (‖d<sub>A</sub>‖ + ‖d<sub>B</sub>‖) per latent (1 = A only), share of "
                    + "each partition's latents</figcaption>").append(histogram(e, true)).append("</figure>");
            b.append("<figure><figcaption>Cosine of each latent's A and B decoder directions (latents with both halves non-zero)</figcaption>")
                    .append(histogram(e, false)).append("</figure></div>");
        }
        List<BarChart.Bar> parts = new ArrayList<>();
        for (TargetEvidence e : evidence) {
            var m = e.meanDiff();
            String series = e.target().crosscoder() + " (" + e.evaluation().name() + ")";
            for (String p : ReportTables.PARTS) {
                double share = m.dataNorm() == 0 ? 0 : 100 * m.carried(p) / m.dataNorm();
                parts.add(new BarChart.Bar(null, p, series, share, null, null, null,
                        String.format(Locale.ROOT, "%s: %s carries %.1f%% of ‖mean A−B‖ = %.4g (part norm %.4g)", series, p, share, m.dataNorm(), m.norm(p))));
            }
        }
        if (!parts.isEmpty()) {
            b.append("<figure><figcaption>Decomposition of the mean A−B difference over the ranking prompts' last tokens: the part each source "
                    + "carries along it, % of its norm (the parts add up to 100%)</figcaption>").append(BarChart.svg("% of ‖mean A−B‖", parts)).append("</figure>");
        }
        if (sweep != null && !sweep.isEmpty() && Cols.has(sweep.get(0), "share_a_exclusive")) {
            List<BarChart.Bar> sw = new ArrayList<>();
            String[][] cols = {{"normalization", "share_normalization"}, {"decoder bias", "share_decoder_bias"}, {"shared", "share_shared"},
                    {"A-exclusive", "share_a_exclusive"}, {"B-exclusive", "share_b_exclusive"}, {"error", "share_error"}};
            for (Row r : sweep) {
                for (String[] c : cols) {
                    Double v = Cols.dbl(r, c[1]);
                    if (v != null) sw.add(new BarChart.Bar(null, c[0], Cols.str(r, "name") + " @ " + Cols.str(r, "hook"), 100 * v, null, null, null,
                            Cols.str(r, "name") + ": " + c[0] + " " + Html.num(100 * v, 1) + "%"));
                }
            }
            if (!sw.isEmpty()) {
                b.append("<figure><figcaption>The same decomposition per sweep variant, from the sweep summary (its training data)</figcaption>")
                        .append(BarChart.svg("% of ‖mean A−B‖", sw)).append("</figure>");
            }
        }
        return b.append("</section>").toString();
    }

    /** Relative norms (by partition) or cosines, as the share of each partition's latents per bin. */
    private static String histogram(TargetEvidence e, boolean relNorm) {
        double lo = relNorm ? 0 : -1, hi = 1;
        List<BarChart.Bar> bars = new ArrayList<>();
        for (String partition : List.of("a_exclusive", "b_exclusive", "shared")) {
            int[] counts = new int[BINS];
            int total = 0;
            for (TargetEvidence.Latent l : e.decoder()) {
                double v = relNorm ? l.relNormA() : l.cosine();
                if (!l.partition().equals(partition) || Double.isNaN(v)) continue;
                counts[Math.max(0, Math.min(BINS - 1, (int) ((v - lo) / (hi - lo) * BINS)))]++;
                total++;
            }
            if (total == 0) continue;
            for (int i = 0; i < BINS; i++) {
                double from = lo + i * (hi - lo) / BINS;
                String bin = String.format(Locale.ROOT, "%.2f", from);
                bars.add(new BarChart.Bar(null, bin, partition + " (" + total + ")", 100.0 * counts[i] / total, null, null, null,
                        String.format(Locale.ROOT, "%s: %d of %d latents in [%.2f, %.2f)", partition, counts[i], total, from, from + (hi - lo) / BINS)));
            }
        }
        if (bars.isEmpty()) return "<p class=\"empty\">No latent has both decoder halves non-zero.</p>";
        return BarChart.svg("% of the partition's latents", bars);
    }
}
