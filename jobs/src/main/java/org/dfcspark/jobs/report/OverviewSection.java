package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/** The run overview: where things are, code versions, models with hashes, wall time per stage, the configs, the sweep. */
final class OverviewSection {
    /** The sweep columns shown first, in this order; any others follow. */
    private static final List<String> SWEEP_FIRST = List.of("name", "hook", "family", "dict_size", "k", "coupling", "excl_a", "excl_b", "status", "reason",
            "steps", "fvu_a", "fvu_b", "l0", "dead_share", "max_forbidden", "exclusive_ok", "wall_s");

    private OverviewSection() {}

    static String html(RunLayout layout, RunFacts facts, List<Evaluation> evaluations, List<Row> sweep) throws IOException {
        StringBuilder b = new StringBuilder("<section id=\"overview\"><h2>Run overview</h2>");
        List<List<String>> where = new ArrayList<>();
        where.add(List.of("run directory", esc(layout.root())));
        where.add(List.of("activation store", layout.store() == null ? "none found (harvest/)" : esc(layout.store())));
        where.add(List.of("sweep summary", layout.sweepSummary() == null ? "none found (sweep/summary.parquet)" : esc(layout.sweepSummary())));
        for (Evaluation e : evaluations) where.add(List.of("evaluation", esc(e.dir()) + " (" + esc(e.protocol()) + " protocol)"));
        where.add(List.of("code version (this report)", esc(facts.codeVersion())));
        if (facts.storeCodeVersion() != null) where.add(List.of("code version (harvest)", esc(facts.storeCodeVersion())));
        b.append(Html.table("facts", List.of("what", "value"), where));
        List<List<String>> models = new ArrayList<>();
        for (RunFacts.Model m : facts.models()) models.add(List.of(esc(m.role()), esc(m.path()), "<code>" + esc(m.sha256()) + "</code>"));
        b.append("<h3>Models</h3>").append(Html.table("models", List.of("model", "path", "SHA-256 (config.json + weights)"), models));
        List<List<String>> stages = new ArrayList<>();
        for (RunFacts.Stage s : facts.stages()) stages.add(List.of(esc(s.name()), s.seconds() == null ? "not recorded" : Html.num(s.seconds(), 1), esc(s.how())));
        b.append("<h3>Wall time per stage</h3>").append(Html.table("stages", List.of("stage", "seconds", "source"), stages));
        for (Evaluation e : evaluations) {
            b.append("<details><summary>Config of ").append(esc(e.name())).append(" (evaluate.conf)</summary><pre>")
                    .append(esc(Files.readString(e.dir().resolve(RunLayout.EVALUATION_MARK), StandardCharsets.UTF_8))).append("</pre></details>");
        }
        if (sweep != null && !sweep.isEmpty()) {
            List<String> cols = new ArrayList<>();
            for (String c : SWEEP_FIRST) if (Cols.has(sweep.get(0), c)) cols.add(c);
            for (String c : sweep.get(0).schema().fieldNames()) if (!cols.contains(c) && !c.equals("checkpoint")) cols.add(c);
            List<List<String>> rows = new ArrayList<>();
            for (Row r : sweep) {
                List<String> row = new ArrayList<>();
                for (String c : cols) {
                    Object v = Cols.get(r, c);
                    row.add(v instanceof Double d ? Html.num(d, 4) : esc(v == null ? "" : v));
                }
                rows.add(row);
            }
            b.append("<h3>Sweep summary</h3>").append(Html.table("sweep", cols.stream().map(Html::esc).toList(), rows));
        }
        return b.append("</section>").toString();
    }
}
