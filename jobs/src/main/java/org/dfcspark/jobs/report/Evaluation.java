package org.dfcspark.jobs.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.evaluate.EvaluationTarget;
import org.dfcspark.jobs.evaluate.Preflight;

/**
 * One evaluation directory as the report reads it: its resolved config ({@code evaluate.conf}), the crosscoder ×
 * hook targets it evaluated, and its {@code conditions}, {@code summary} and {@code features} tables
 * (data-schemas/evaluation.md). The generations table is not read: the report needs only the statistics.
 */
public record Evaluation(Path dir, EvaluateOptions options, List<EvaluationTarget> targets, List<Row> conditions, List<Row> summary,
                         List<Row> features) {

    public static Evaluation read(SparkSession spark, Path dir) throws IOException {
        EvaluateOptions o = EvaluateOptions.fromString(Files.readString(dir.resolve(RunLayout.EVALUATION_MARK), StandardCharsets.UTF_8), List.of());
        for (String t : List.of("conditions", "summary", "features")) {
            if (!Files.isDirectory(dir.resolve(t))) throw new IllegalArgumentException(dir + " has no " + t + "/ table: the evaluation did not finish");
        }
        return new Evaluation(dir, o, Preflight.targets(o), table(spark, dir, "conditions"), table(spark, dir, "summary"), table(spark, dir, "features"));
    }

    /** The directory's name: tells evaluations apart in the report (two may use the same protocol). */
    public String name() {
        return dir.getFileName().toString();
    }

    /** {@code fixed} or {@code paper}. */
    public String protocol() {
        return options.protocol().id();
    }

    /** The scorer this protocol leads with: {@code strict} (fixed) or {@code paper}. */
    public String headline() {
        return options.protocol().headline();
    }

    private static List<Row> table(SparkSession spark, Path dir, String name) {
        return spark.read().parquet(dir.resolve(name).toString()).collectAsList();
    }
}
