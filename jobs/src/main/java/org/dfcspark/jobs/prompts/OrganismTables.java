package org.dfcspark.jobs.prompts;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.io.AtomicOutput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a list of prompt records as one Parquet file in the prompts-table schema ({@link PromptsTable}), the
 * form {@code bin/dfc harvest --prompts} reads: Spark writes a one-partition directory next to the target,
 * whose single part file is then renamed to the target (so the file name is stable from build to build), through
 * {@link AtomicOutput#writeFile}.
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
        Dataset<Row> table = spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1);
        AtomicOutput.writeFile(file, tmp -> {
            // Spark writes a directory; it is named after the temporary file, so AtomicOutput.cleanStale removes it
            // too when a killed run left it.
            Path parts = tmp.resolveSibling(tmp.getFileName() + ".parts");
            try {
                table.write().mode(SaveMode.Overwrite).parquet(parts.toString());
                List<Path> found;
                try (Stream<Path> s = Files.list(parts)) {
                    found = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
                }
                if (found.size() != 1) throw new IOException(parts + ": expected one Parquet part file, found " + found.size());
                Files.move(found.get(0), tmp);
            } finally {
                AtomicOutput.deleteTree(parts);
            }
        });
    }
}
