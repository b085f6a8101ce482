package org.dfcspark.jobs;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a list of prompt records as one Parquet file in the prompts-table schema ({@link PromptsTable}), the
 * form {@code bin/dfc harvest --prompts} reads: Spark writes a one-partition directory next to the target,
 * whose single part file is then renamed to the target (so the file name is stable from build to build).
 */
public final class OrganismTables {
    private OrganismTables() {}

    public static void writeParquet(SparkSession spark, Path file, List<PromptRecord> records) throws IOException {
        List<Row> rows = new ArrayList<>(records.size());
        for (PromptRecord r : records) {
            List<String> problems = r.problems();
            if (!problems.isEmpty()) throw new IllegalArgumentException(r.id() + ": not a valid prompts-table row: " + problems);
            rows.add(PromptsTable.toRow(r));
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        deleteRecursively(tmp);
        Dataset<Row> table = spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1);
        table.write().mode(SaveMode.Overwrite).parquet(tmp.toString());
        Path part;
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
            if (parts.size() != 1) throw new IOException(tmp + ": expected one Parquet part file, found " + parts.size());
            part = parts.get(0);
        }
        Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(tmp);
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
