package org.dfcspark.jobs.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.io.AtomicOutput;
import org.dfcspark.jobs.harvest.ExecutorRuntime;

/**
 * {@code bin/dfc report}: one self-contained HTML file over a run's tables (the sweep summary and the evaluation
 * tables, data-schemas/evaluation.md) plus what only the models can give (feature activations, top contexts, decoder
 * geometry: {@link EvidenceStage}), which it also writes as Parquet under {@code tables/} beside the HTML file
 * (data-schemas/report.md) so the notebooks draw the same figures. The paper's numbers come from data/paper-results.
 */
public final class ReportJob {
    /** What a report holds: the file, its tables' directory, and how many evaluations, crosscoders and feature pages. */
    public record Outcome(Path html, Path tables, int evaluations, int targets, int featurePages) {}

    private ReportJob() {}

    public static Outcome run(SparkSession spark, Path runDir, Path html, int contextPrompts, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        RunLayout layout = RunLayout.of(runDir);
        PaperResults paper = PaperResults.load(ProjectPaths.data("paper-results"));
        List<Evaluation> evaluations = new ArrayList<>();
        for (Path d : layout.evaluations()) evaluations.add(Evaluation.read(spark, d));
        List<Row> sweep = layout.sweepSummary() == null ? null : spark.read().parquet(layout.sweepSummary().toString()).collectAsList();
        log.printf(Locale.ROOT, "report: %d evaluation(s)%s under %s%n", evaluations.size(), sweep == null ? ", no sweep" : ", a sweep of " + sweep.size(),
                layout.root());

        EvidenceStage stage = new EvidenceStage(spark, contextPrompts); // in Spark tasks, one per hook

        List<TargetEvidence> evidence = new ArrayList<>();
        for (Evaluation e : evaluations) evidence.addAll(stage.run(e));
        Path tables = html.toAbsolutePath().getParent().resolve("tables");
        ReportTables.write(spark, evidence, tables);
        double seconds = (System.nanoTime() - t0) / 1e9;

        Map<String, CrosscoderLabel> labels = new HashMap<>();
        for (TargetEvidence e : evidence) labels.putIfAbsent(e.target().crosscoder(), CrosscoderLabel.of(e.target().crosscoder(), e.config()));
        FeatureLinks links = new FeatureLinks(evidence);
        RunFacts facts = RunFacts.collect(layout, evaluations, sweep, seconds);
        String page = ReportPage.render("dfc-spark report: " + layout.root().getFileName(), layout.root().toString(),
                PaperSection.html(paper, evaluations, links, labels), EffectsSection.html(evaluations, labels), SteeringSection.html(evaluations, links),
                DiffingSection.html(evidence, sweep), FeatureSection.html(evidence), OverviewSection.html(layout, facts, evaluations, sweep));
        Files.createDirectories(html.toAbsolutePath().getParent());
        AtomicOutput.writeFile(html, tmp -> Files.writeString(tmp, page, StandardCharsets.UTF_8));
        int pages = evidence.stream().mapToInt(e -> e.features().size()).sum();
        log.printf(Locale.ROOT, "report: %d crosscoder x hook target(s), %d feature page(s) -> %s (tables: %s), %.1f s%n", evidence.size(), pages, html,
                tables, (System.nanoTime() - t0) / 1e9);
        return new Outcome(html, tables, evaluations.size(), evidence.size(), pages);
    }
}
