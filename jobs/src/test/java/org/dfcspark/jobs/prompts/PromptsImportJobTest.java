package org.dfcspark.jobs.prompts;

import org.dfcspark.jobs.work.ParquetRows;
import org.apache.hadoop.conf.Configuration;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.data.BfclAnswers;
import org.dfcspark.data.BfclConverter;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.ShareGptConverter;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.prompts.PromptsImportJob.FileCounts;
import org.dfcspark.jobs.prompts.PromptsImportJob.Options;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** prompts import on real data with a local Spark session (one per class). */
class PromptsImportJobTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.get("PromptsImportJobTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static List<PromptRecord> readPrompts(Path out) {
        Dataset<Row> t = spark.read().parquet(out.resolve("prompts").toString());
        assertEquals(List.of(), PromptsTable.validate(t, 20), "the written table follows data-schemas/prompts.md");
        return t.collectAsList().stream().map(PromptsTable::fromRow).sorted(Comparator.comparing(PromptRecord::id)).toList();
    }

    static List<Row> readQuarantine(Path out) {
        return spark.read().parquet(out.resolve("quarantine").toString()).orderBy("file", "row").collectAsList();
    }

    @Test
    void toolRlParquetGivesTheSameRecordsAsItsJsonlDump(@TempDir Path out) throws Exception {
        List<FileCounts> counts = PromptsImportJob.run(spark, new Options("toolrl", ProjectPaths.data("toolrl/test.parquet"), null, out, null, false));
        assertEquals(List.of(new FileCounts("test.parquet", Map.of("response", 9L, "tool_call", 71L), 0)), counts);
        List<PromptRecord> expected = new ArrayList<>(PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "train")).records());
        expected.sort(Comparator.comparing(PromptRecord::id));
        assertEquals(expected, readPrompts(out));
        assertEquals(List.of(), readQuarantine(out));
        assertTrue(Files.readString(out.resolve("import_summary.json")).contains("\"prompts\": 80"));
    }

    @Test
    void bfclDirectoryImportsEveryCategory(@TempDir Path out) {
        List<FileCounts> counts = PromptsImportJob.run(spark, new Options("bfcl", ProjectPaths.data("bfcl"), null, out, null, false));
        assertEquals(13, counts.size());
        assertEquals(1904, counts.stream().mapToLong(FileCounts::prompts).sum());
        assertEquals(0, counts.stream().mapToLong(FileCounts::quarantined).sum());
        assertEquals(new FileCounts("BFCL_v4_irrelevance.json", Map.of("irrelevance", 240L), 0), counts.get(0));
        List<PromptRecord> rs = readPrompts(out);
        assertEquals(1904, rs.size());
        assertEquals(13, rs.stream().map(PromptRecord::category).distinct().count());
    }

    @Test
    void badRowsAndRepeatedIdsGoToQuarantine(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(ProjectPaths.data("toolrl/test.jsonl"));
        Path in = dir.resolve("mixed.jsonl");
        Files.write(in, List.of(lines.get(0), "not json", lines.get(1), "{\"prompt\": []}", lines.get(0)));
        Path out = dir.resolve("out");
        List<FileCounts> counts = PromptsImportJob.run(spark, new Options("toolrl", in, null, out, null, false));
        assertEquals(List.of(new FileCounts("mixed.jsonl", Map.of("response", 1L, "tool_call", 1L), 3)), counts);
        assertEquals(List.of("toolrl_test:0", "toolrl_test:1"), readPrompts(out).stream().map(PromptRecord::id).toList());
        List<Row> q = readQuarantine(out);
        assertEquals(3, q.size());
        assertEquals(RowFactory.create("toolrl", "mixed.jsonl", 1L, q.get(0).getString(3), "not json"), q.get(0));
        assertTrue(q.get(0).getString(3).startsWith("malformed JSON"), q.get(0).getString(3));
        assertEquals("prompt has 0 messages, expected [system, user]", q.get(1).getString(3));
        assertEquals(RowFactory.create("toolrl", "mixed.jsonl", 4L, "duplicate id toolrl_test:0 (kept mixed.jsonl row 0)", lines.get(0)), q.get(2));

        var e = assertThrows(IllegalArgumentException.class,
                () -> PromptsImportJob.run(spark, new Options("toolrl", in, null, out, null, false)));
        assertEquals(out + " already holds a prompts import (use --overwrite)", e.getMessage());
    }

    @Test
    void textCorpusFromParquet(@TempDir Path dir) {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType).add("url", DataTypes.StringType);
        List<Row> rows = List.of(RowFactory.create(10L, "First document.", "http://a"), RowFactory.create(11L, "Second one.", null),
                RowFactory.create(12L, null, "http://c"));
        Path in = dir.resolve("web.parquet");
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(in.toString());
        Path part = firstParquetFile(in);
        Path out = dir.resolve("out");
        List<FileCounts> counts = PromptsImportJob.run(spark, new Options("text", part, null, out, null, false));
        assertEquals(2, counts.get(0).prompts());
        assertEquals(1, counts.get(0).quarantined());
        List<PromptRecord> rs = readPrompts(out);
        assertEquals(List.of("10", "11"), rs.stream().map(PromptRecord::id).toList());
        assertEquals("First document.", rs.get(0).messages().get(0).content());
        assertEquals(Map.of("url", "http://a"), rs.get(0).extras());
        assertEquals("train", rs.get(0).split());
        assertEquals("no \"text\" field", readQuarantine(out).get(0).getString(3));
    }

    private static Path firstParquetFile(Path dir) {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void promptsTableRoundTripsThroughParquet(@TempDir Path dir) {
        List<PromptRecord> records = new ArrayList<>();
        records.addAll(PromptFiles.read(ProjectPaths.data("glaive/glaive_toolcall_en_demo.json"), new ShareGptConverter("glaive", "train")).records().subList(0, 40));
        records.addAll(PromptFiles.read(ProjectPaths.data("bfcl/BFCL_v4_live_multiple.json"), new BfclConverter("live_multiple",
                BfclAnswers.read(ProjectPaths.data("bfcl/possible_answer/BFCL_v4_live_multiple.json")))).records().subList(0, 20));
        records.addAll(PromptFiles.read(ProjectPaths.data("bfcl/BFCL_v4_irrelevance.json"), new BfclConverter("irrelevance", Map.of())).records().subList(0, 5));
        records.sort(Comparator.comparing(PromptRecord::id));
        Path p = dir.resolve("t.parquet");
        spark.createDataFrame(records.stream().map(PromptsTable::toRow).toList(), PromptsTable.SCHEMA).write().parquet(p.toString());
        Dataset<Row> back = spark.read().parquet(p.toString());
        assertEquals(List.of(), PromptsTable.validate(back, 10));
        assertEquals(records, back.collectAsList().stream().map(PromptsTable::fromRow).sorted(Comparator.comparing(PromptRecord::id)).toList());
    }

    @Test
    void validatorReportsWhatIsWrong() {
        Dataset<Row> wrongColumns = spark.createDataFrame(List.of(RowFactory.create("x")), new StructType().add("id", DataTypes.StringType));
        assertEquals(List.of("columns [id], expected [id, source, split, category, messages, tools, gold, gold_kind, extras]"),
                PromptsTable.validate(wrongColumns, 10));

        PromptRecord good = new PromptRecord("a", "text", "train", "web", List.of(new PromptRecord.Message("user", "t")), List.of(), null, "none", Map.of());
        PromptRecord badKind = new PromptRecord("b", "text", "train", "web", List.of(new PromptRecord.Message("user", "t")), List.of(), null, "maybe", Map.of());
        PromptRecord badGold = new PromptRecord("c", "bfcl", "test", "simple", List.of(new PromptRecord.Message("user", "t")),
                List.of("{\"description\": \"nameless\"}"), "[{\"name\": \"f\"}]", "tool_call", Map.of());
        Dataset<Row> t = spark.createDataFrame(List.of(PromptsTable.toRow(good), PromptsTable.toRow(badKind), PromptsTable.toRow(badGold),
                PromptsTable.toRow(good)), PromptsTable.SCHEMA);
        List<String> problems = PromptsTable.validate(t, 10);
        assertEquals(List.of("row b: unknown gold_kind 'maybe'", "row c: tool 0: no \"name\" string",
                "row c: gold: a call has no \"arguments\" object", "id a appears 2 times"), problems);
    }

    @Test
    void readLocalChecksTheWholeTableOnTheDriverAsTheValidatorDoes(@TempDir Path dir) throws Exception {
        PromptRecord a = new PromptRecord("a", "text", "train", "web", List.of(new PromptRecord.Message("user", "t")), List.of(), null, "none", Map.of());
        PromptRecord b = new PromptRecord("b", "text", "train", "web", List.of(new PromptRecord.Message("user", "u")), List.of(), null, "none", Map.of());
        PromptRecord badKind = new PromptRecord("z", "text", "train", "web", List.of(new PromptRecord.Message("user", "t")), List.of(), null, "maybe", Map.of());
        Path good = dir.resolve("good.parquet"), bad = dir.resolve("bad.parquet");
        spark.createDataFrame(List.of(PromptsTable.toRow(a), PromptsTable.toRow(b)), PromptsTable.SCHEMA).coalesce(1).write().parquet(good.toString());
        assertEquals(List.of(a), PromptsTable.readLocal(spark, good.toString(), 1));
        assertEquals(List.of(a, b), PromptsTable.readLocal(spark, good.toString(), -1));
        // the bad rows come after the first: a limit of 1 still refuses the table
        spark.createDataFrame(List.of(PromptsTable.toRow(a), PromptsTable.toRow(badKind), PromptsTable.toRow(a)), PromptsTable.SCHEMA).coalesce(1)
                .write().parquet(bad.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptsTable.readLocal(spark, bad.toString(), 1));
        assertEquals(bad + ": not a valid prompts table: row z: unknown gold_kind 'maybe'; id a appears 2 times", e.getMessage());
        // two files: Spark's reader decides their order, so Spark reads them
        Path twoFiles = dir.resolve("two.parquet");
        spark.createDataFrame(List.of(PromptsTable.toRow(a), PromptsTable.toRow(b)), PromptsTable.SCHEMA).repartition(2).write().parquet(twoFiles.toString());
        assertNull(ParquetRows.readSparkTable(new org.apache.hadoop.fs.Path(twoFiles.toString()), new Configuration()));
        assertEquals(spark.read().parquet(twoFiles.toString()).collectAsList().stream().map(PromptsTable::fromRow).toList(),
                PromptsTable.readLocal(spark, twoFiles.toString(), -1));
    }

    /** Every shipped prompts table is one file Spark wrote: read on the driver, without a job, to the same records as Spark's reader. */
    @Test
    void theDriverReadsEveryShippedPromptsTableAsSparkDoes() throws Exception {
        try (var tables = Files.list(ProjectPaths.data("organism").resolve("prompts"))) {
            for (Path t : tables.filter(f -> f.toString().endsWith(".parquet")).sorted().toList()) {
                ParquetRows.Table onDriver = ParquetRows.readSparkTable(new org.apache.hadoop.fs.Path(t.toString()), new Configuration());
                assertNotNull(onDriver, t + " is read on the driver");
                assertEquals(PromptsTable.SCHEMA.fieldNames().length, onDriver.schema().size());
                List<PromptRecord> bySpark = spark.read().parquet(t.toString()).collectAsList().stream().map(PromptsTable::fromRow).toList();
                assertEquals(bySpark, onDriver.rows().stream().map(PromptsTable::fromRow).toList(), t.toString());
                assertEquals(bySpark, PromptsTable.readLocal(spark, t.toString(), -1));
            }
        }
    }
}
