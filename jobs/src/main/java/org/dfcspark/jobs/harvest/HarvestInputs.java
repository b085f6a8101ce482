package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.TextConverter;
import org.dfcspark.io.ParquetFiles;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.cluster.ClusterPaths;

/**
 * The prompts a harvest reads, in a fixed order (their ordinals make the sample ids):
 * <ul>
 *   <li>a prompts table (Parquet with the columns of data-schemas/prompts.md, as {@code bin/dfc prompts import}
 *       writes it);</li>
 *   <li>a plain-text table: Parquet with a {@code text} column, or a JSON Lines file of {"text": …} objects
 *       (optional {@code id}); each text becomes a one-message user prompt (source {@code text}).</li>
 * </ul>
 * Bad input is refused with the file and the reason; nothing is silently skipped.
 */
final class HarvestInputs {
    private HarvestInputs() {}

    static JavaRDD<PromptRecord> read(SparkSession spark, String path) throws IOException {
        return read(spark, path, true);
    }

    /** {@code validate = false}: the table was validated already (by the job's preflight); skip the full scan. */
    static JavaRDD<PromptRecord> read(SparkSession spark, String path, boolean validate) throws IOException {
        if (path.endsWith(".jsonl") || path.endsWith(".json")) return textLines(spark, Path.of(path));
        if (ClusterPaths.isLocalPath(path)) ParquetFiles.requireParquet(Path.of(path.startsWith("file:") ? java.net.URI.create(path).getPath() : path), "prompts");
        Dataset<Row> table;
        try {
            table = spark.read().parquet(path);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(path + ": not a readable Parquet prompts table: " + firstLine(e), e);
        }
        List<String> columns = Arrays.asList(table.columns());
        if (columns.contains("messages")) {
            List<String> problems = validate ? PromptsTable.validate(table, 3) : List.of();
            if (!problems.isEmpty()) throw new IllegalArgumentException(path + ": not a valid prompts table: " + String.join("; ", problems));
            return table.javaRDD().map(PromptsTable::fromRow);
        }
        if (columns.contains("text")) {
            if (!(table.schema().apply("text").dataType() instanceof org.apache.spark.sql.types.StringType)) {
                throw new IllegalArgumentException(path + ": column 'text' has type " + table.schema().apply("text").dataType().simpleString()
                        + ", expected string");
            }
            String stem = stem(path);
            TextConverter converter = new TextConverter(stem, "train");
            return table.toJSON().javaRDD().zipWithIndex().map(t -> {
                List<PromptRecord> r = converter.convert(t._1(), t._2());
                return r.get(0);
            });
        }
        throw new IllegalArgumentException(path + ": neither a prompts table (no 'messages' column) nor a text table (no 'text' column)");
    }

    private static JavaRDD<PromptRecord> textLines(SparkSession spark, Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("prompts file not found: " + file);
        PromptFiles.Result r = PromptFiles.read(file, new TextConverter(stem(file.toString()), "train"));
        if (!r.quarantined().isEmpty()) {
            var q = r.quarantined().get(0);
            throw new IllegalArgumentException(file + ": row " + q.row() + ": " + q.reason() + " (" + r.quarantined().size()
                    + " bad row(s); a plain-text table needs one {\"text\": ...} object per line)");
        }
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(r.records(), Math.max(1, r.records().size() / 1024 + 1));
    }

    private static String stem(String path) {
        String name = Path.of(path).getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        return m.lines().findFirst().orElse(m);
    }
}
