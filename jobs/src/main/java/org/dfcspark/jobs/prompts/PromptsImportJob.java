package org.dfcspark.jobs.prompts;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.dfcspark.io.AtomicOutput;
import org.dfcspark.io.OutputDirs;
import org.dfcspark.io.ParquetFiles;
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
import java.util.Set;
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
        requireFreshOut(o);
        for (Path f : files) {
            if (f.getFileName().toString().endsWith(".parquet")) {
                try {
                    ParquetFiles.requireParquet(f, "input");
                } catch (IOException e) {
                    throw new UncheckedIOException(f + ": cannot read: " + e.getMessage(), e);
                }
            }
        }
        // Everything is written into a hidden sibling of --out and swapped in at the end: a killed import leaves the
        // old import (or nothing), never a mix; the next run removes the leftover.
        List<List<FileCounts>> result = new ArrayList<>();
        try {
            AtomicOutput.writeDirectory(o.out(), tmp -> result.add(write(spark, o, files, tmp)));
        } catch (IOException e) {
            throw new UncheckedIOException(o.out() + ": cannot write: " + e.getMessage(), e);
        }
        return result.get(0);
    }

    /** --out is writable, and new, empty, or (with --overwrite) an earlier import; checked before any work. */
    private static void requireFreshOut(Options o) {
        OutputDirs.requireWritable(o.out(), "--out");
        try {
            if (OutputDirs.isAbsentOrEmpty(o.out())) return;
            try (Stream<Path> s = Files.list(o.out())) {
                for (Path f : (Iterable<Path>) s::iterator) {
                    String n = f.getFileName().toString();
                    if (!n.startsWith(".") && !Set.of("prompts", "quarantine", "import_summary.json").contains(n)) {
                        throw new IllegalArgumentException("--out " + o.out() + " is not empty and holds no prompts import (it has " + n
                                + "); choose a new or empty directory");
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!o.overwrite()) throw new IllegalArgumentException(o.out() + " already holds a prompts import (use --overwrite)");
    }

    private static List<FileCounts> write(SparkSession spark, Options o, List<Path> files, Path outDir) {
        Path promptsDir = outDir.resolve("prompts");
        Path quarantineDir = outDir.resolve("quarantine");
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
        writeSummary(outDir.resolve("import_summary.json"), o, counts);
        return counts;
    }

    /** The first quarantine reason of an import in {@code out} ("file row N: reason"), or null. */
    public static String firstQuarantineReason(SparkSession spark, Path out) {
        List<Row> r = spark.read().parquet(out.resolve("quarantine").toString()).select("file", "row", "reason").limit(1).collectAsList();
        return r.isEmpty() ? null : r.get(0).getString(0) + " row " + r.get(0).getLong(1) + ": " + r.get(0).getString(2);
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
