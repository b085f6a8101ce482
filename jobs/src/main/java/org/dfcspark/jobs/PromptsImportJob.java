package org.dfcspark.jobs;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.BfclAnswers;
import org.dfcspark.data.BfclConverter;
import org.dfcspark.data.PromptConverter;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.QuarantinedRow;
import org.dfcspark.data.ShareGptConverter;
import org.dfcspark.data.TextConverter;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.py.PythonJson;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import scala.Tuple2;


/**
 * {@code prompts import}: reads a source's files into the prompts table. JSON and JSON Lines files are
 * split into items on the driver, Parquet rows are read by Spark and turned into JSON objects; the items
 * are converted by the common converters inside {@code mapPartitions}; items that fail go to the quarantine
 * table with their reason; a repeated id keeps its first row and quarantines the others. Writes
 * {@code OUT/prompts} and {@code OUT/quarantine} (Parquet) and {@code OUT/import_summary.json}.
 */
public final class PromptsImportJob {
    public static final List<String> SOURCES = List.of("toolrl", "bfcl", "sharegpt", "text");

    /**
     * @param source  toolrl | bfcl | sharegpt | text
     * @param input   a file, or a directory whose .json/.jsonl/.parquet files are all read
     * @param answers BFCL possible-answer file (single-file input only); null = possible_answer/NAME beside the input
     * @param split   split for rows that do not name theirs; null = the source's default
     */
    public record Options(String source, Path input, Path answers, Path out, String split, boolean overwrite) {}

    /** Counts of one input file. */
    public record FileCounts(String file, Map<String, Long> promptsByKind, long quarantined) {
        public long prompts() {
            return promptsByKind.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** One converted input item: its records, or its quarantine entry; with where it came from. */
    private record Outcome(int file, long row, String raw, PromptRecord record, QuarantinedRow quarantined) implements Serializable {}

    private PromptsImportJob() {}

    public static List<FileCounts> run(SparkSession spark, Options o) {
        if (!SOURCES.contains(o.source())) throw new IllegalArgumentException("unknown source '" + o.source() + "'");
        List<Path> files = inputFiles(o.input());
        if (o.answers() != null && (files.size() != 1 || !o.source().equals("bfcl"))) {
            throw new IllegalArgumentException("--answers goes with --source bfcl and a single input file");
        }
        Path promptsDir = o.out().resolve("prompts");
        Path quarantineDir = o.out().resolve("quarantine");
        if (!o.overwrite() && (Files.exists(promptsDir) || Files.exists(quarantineDir))) {
            throw new IllegalArgumentException(o.out() + " already holds a prompts import (use --overwrite)");
        }

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Outcome> outcomes = jsc.emptyRDD();
        for (int i = 0; i < files.size(); i++) {
            try {
                outcomes = outcomes.union(convert(spark, jsc, i, files.get(i), converter(o, files.get(i))));
            } catch (IOException e) {
                throw new UncheckedIOException(files.get(i) + ": cannot read: " + e.getMessage(), e);
            }
        }
        JavaRDD<Outcome> converted = outcomes.cache();
        List<String> names = files.stream().map(f -> f.getFileName().toString()).toList();
        outcomes = quarantineRepeatedIds(converted, names).cache();

        Dataset<Row> prompts = spark.createDataFrame(outcomes.filter(x -> x.record() != null).map(x -> PromptsTable.toRow(x.record())), PromptsTable.SCHEMA);
        Dataset<Row> quarantine = spark.createDataFrame(outcomes.filter(x -> x.quarantined() != null).map(x -> PromptsTable.toRow(x.quarantined())), PromptsTable.QUARANTINE_SCHEMA);
        prompts.write().mode(SaveMode.Overwrite).parquet(promptsDir.toString());
        quarantine.coalesce(1).write().mode(SaveMode.Overwrite).parquet(quarantineDir.toString());

        List<FileCounts> counts = counts(outcomes, files);
        outcomes.unpersist();
        if (converted != outcomes) converted.unpersist();
        writeSummary(o.out().resolve("import_summary.json"), o, counts);
        return counts;
    }

    /** The input files: the path itself, or a directory's .json/.jsonl/.parquet files in name order. */
    static List<Path> inputFiles(Path input) {
        if (!Files.exists(input)) throw new IllegalArgumentException("input not found: " + input);
        if (!Files.isDirectory(input)) return List.of(input);
        try (Stream<Path> s = Files.list(input)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.(json|jsonl|parquet)$"))
                    .sorted().toList();
            if (files.isEmpty()) throw new IllegalArgumentException(input + ": no .json, .jsonl or .parquet files");
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PromptConverter converter(Options o, Path file) {
        String name = file.getFileName().toString();
        String stem = name.replaceFirst("\\.(json|jsonl|parquet)$", "");
        return switch (o.source()) {
            case "toolrl" -> new ToolRlConverter(stem, o.split() == null ? "train" : o.split());
            case "sharegpt" -> new ShareGptConverter(stem, o.split() == null ? "train" : o.split());
            case "text" -> new TextConverter(stem, o.split() == null ? "train" : o.split());
            case "bfcl" -> {
                String category = BfclConverter.categoryOf(name);
                Path answers = o.answers() != null ? o.answers() : file.resolveSibling("possible_answer").resolve(name);
                if (!BfclConverter.needsAnswers(category)) yield new BfclConverter(category, Map.of());
                if (!Files.isRegularFile(answers)) {
                    throw new IllegalArgumentException("BFCL category " + category + " needs its possible-answer file: "
                            + answers + " not found (pass --answers)");
                }
                yield new BfclConverter(category, BfclAnswers.read(answers));
            }
            default -> throw new IllegalArgumentException("unknown source '" + o.source() + "'");
        };
    }

    private static JavaRDD<Outcome> convert(SparkSession spark, JavaSparkContext jsc, int fileIndex, Path file, PromptConverter conv)
            throws IOException {
        String name = file.getFileName().toString();
        // JSON files are split into items on the driver (prompt sets are small; no job just to number
        // lines); Parquet is read by Spark and numbered with zipWithIndex.
        JavaRDD<Tuple2<String, Long>> items = PromptFiles.layout(file) == PromptFiles.Layout.PARQUET
                ? spark.read().parquet(file.toString()).toJSON().javaRDD().zipWithIndex().map(t -> t)
                : jsc.parallelize(PromptFiles.items(file).stream().map(it -> new Tuple2<>(it.json(), it.row())).toList(),
                        Math.max(1, Math.min(jsc.defaultParallelism(), (int) (Files.size(file) >> 20))));
        return items.mapPartitions(part -> {
            List<Outcome> out = new ArrayList<>();
            while (part.hasNext()) {
                Tuple2<String, Long> t = part.next();
                PromptFiles.Result r = PromptFiles.convert(List.of(new PromptFiles.Item(t._2(), t._1())), conv, name);
                for (PromptRecord rec : r.records()) out.add(new Outcome(fileIndex, t._2(), t._1(), rec, null));
                for (QuarantinedRow q : r.quarantined()) out.add(new Outcome(fileIndex, t._2(), t._1(), null, q));
            }
            return out.iterator();
        });
    }

    /** How often an id occurs, and its first place (file, row). */
    private record Occurrences(long n, int file, long row) implements Serializable {
        Occurrences plus(Occurrences o) {
            boolean mineFirst = file < o.file || (file == o.file && row <= o.row);
            return new Occurrences(n + o.n, mineFirst ? file : o.file, mineFirst ? row : o.row);
        }
    }

    /** An id seen more than once: the first (file, row) keeps it, later rows are quarantined. */
    private static JavaRDD<Outcome> quarantineRepeatedIds(JavaRDD<Outcome> outcomes, List<String> fileNames) {
        Map<String, Occurrences> repeated = new HashMap<>(outcomes.filter(x -> x.record() != null)
                .mapToPair(x -> new Tuple2<>(x.record().id(), new Occurrences(1, x.file(), x.row())))
                .reduceByKey(Occurrences::plus)
                .filter(t -> t._2().n() > 1)
                .collectAsMap());
        if (repeated.isEmpty()) return outcomes;
        return outcomes.map(x -> {
            Occurrences keep = x.record() == null ? null : repeated.get(x.record().id());
            if (keep == null || (keep.file() == x.file() && keep.row() == x.row())) return x;
            QuarantinedRow q = new QuarantinedRow(x.record().source(), fileNames.get(x.file()), x.row(),
                    "duplicate id " + x.record().id() + " (kept " + fileNames.get(keep.file()) + " row " + keep.row() + ")", x.raw());
            return new Outcome(x.file(), x.row(), x.raw(), null, q);
        });
    }

    private static List<FileCounts> counts(JavaRDD<Outcome> outcomes, List<Path> files) {
        Map<Tuple2<Integer, String>, Long> byKey = outcomes
                .mapToPair(x -> new Tuple2<>(new Tuple2<>(x.file(), x.record() != null ? x.record().goldKind() : "quarantined"), 1L))
                .reduceByKey(Long::sum).collectAsMap();
        List<FileCounts> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Map<String, Long> kinds = new TreeMap<>();
            long q = 0;
            for (var e : byKey.entrySet()) {
                if (e.getKey()._1() != i) continue;
                if (e.getKey()._2().equals("quarantined")) q = e.getValue();
                else kinds.put(e.getKey()._2(), e.getValue());
            }
            out.add(new FileCounts(files.get(i).getFileName().toString(), kinds, q));
        }
        return out;
    }

    private static void writeSummary(Path file, Options o, List<FileCounts> counts) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("source", o.source());
        summary.put("input", o.input().toString());
        List<Object> perFile = new ArrayList<>();
        long prompts = 0, quarantined = 0;
        for (FileCounts c : counts) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("file", c.file());
            f.put("prompts", c.prompts());
            f.put("by_gold_kind", c.promptsByKind());
            f.put("quarantined", c.quarantined());
            perFile.add(f);
            prompts += c.prompts();
            quarantined += c.quarantined();
        }
        summary.put("files", perFile);
        summary.put("prompts", prompts);
        summary.put("quarantined", quarantined);
        try {
            Files.writeString(file, PythonJson.dumps(summary, 1) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
