package org.dfcspark.jobs.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.jobs.ConcurrentJobs;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.work.DoneMarkers;
import org.dfcspark.jobs.work.HadoopFiles;
import org.dfcspark.jobs.work.InFlightProgress;
import org.dfcspark.jobs.work.ParquetRows;
import org.dfcspark.jobs.work.ProgressReporter;
import org.dfcspark.jobs.work.WorkQueue;

/**
 * {@code bin/dfc evaluate}: reconstruction, spillover and steering for every crosscoder × hook of a config, on Spark.
 * The driver checks every input ({@link Preflight}), ranks features in a Spark stage of one task per hook
 * ({@link FeatureRankingStage}, written to {@code OUT/features/}), expands the experiments into conditions per crosscoder ({@link ConditionPlan}) and cuts
 * work items of {@code shard_size} prompts; one Spark task per pending item ({@link EvaluateTask}) generates, scores
 * and writes its rows as one file of {@code OUT/generations/}. From their verdicts the driver writes
 * {@code OUT/conditions/} and {@code OUT/summary/} (data-schemas/evaluation.md). Resumable: a rerun into the same OUT with the same config skips finished items; a
 * rerun with another config is refused.
 */
public final class EvaluateJob {
    static final String SETTINGS = "evaluate.conf";
    private static final double PROGRESS_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a run did: items run and skipped, generations written, tokens forwarded with prefix reuse and naively;
     * {@code itemsSeconds} is the wall time of its work items (the generation stage).
     */
    public record Outcome(int itemsRun, int itemsSkipped, long generations, long tokensForwarded, long naiveTokensForwarded,
                          long partnerTokensRead, double itemsSeconds) {}

    private EvaluateJob() {}

    public static Outcome run(SparkSession spark, EvaluateOptions o, Path out, PrintStream log) throws IOException {
        // 1. everything checked before any work; the prompts tokenized once
        long start = System.nanoTime();
        Preflight.checkModels(o);
        List<EvaluationTarget> targets = Preflight.targets(o);
        List<List<PromptRecord>> tables = ConcurrentJobs.all(
                () -> nonEmpty(PromptsTable.readLocal(spark, o.prompts(), o.limit()), o.prompts()),
                () -> nonEmpty(PromptsTable.readLocal(spark, o.rankingTool(), o.rankingLimit()), o.rankingTool()),
                () -> nonEmpty(PromptsTable.readLocal(spark, o.rankingGeneric(), o.rankingLimit()), o.rankingGeneric()));
        List<PromptRecord> prompts = tables.get(0), tool = tables.get(1), generic = tables.get(2);
        EncodedPrompts encoded = Preflight.encode(o, prompts, tool, generic, log);
        claimOutput(out, o);
        log.printf(Locale.ROOT, "evaluate: %d crosscoder x hook target(s), %d prompts, protocol %s, up to %d new tokens -> %s%n",
                targets.size(), prompts.size(), o.protocol().id(), o.maxNewTokens(), out);

        // 2. ranking: a Spark stage, one task per hook
        long t0 = System.nanoTime();
        Configuration hadoop = HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration());
        SparkConf conf = spark.sparkContext().getConf();
        int threads = ExecutorRuntime.threadsPerTask(conf.get("spark.master", "local[2]"), conf.getInt("spark.executor.cores", 1),
                conf.getInt("spark.task.cpus", 1));
        List<FeatureRankingStage.Ranking> rankings = FeatureRankingStage.run(spark, o, targets, encoded);
        ParquetRows.writeTable(hadoopPath(out.resolve("features")), EvaluationTables.FEATURES, FeatureRankingStage.rows(rankings), hadoop);

        long t1 = System.nanoTime();

        // 3. work items
        DoneMarkers markers = markers(out, hadoop);
        markers.deleteTemporaries(); // what killed attempts left
        HadoopFiles.deleteTemporaries(hadoopPath(EvaluationItem.generations(out)), hadoop);
        Map<String, double[]> meanF = new HashMap<>();
        List<List<PlannedCondition>> plans = new ArrayList<>();
        for (FeatureRankingStage.Ranking r : rankings) {
            EvaluationTarget t = r.target();
            plans.add(ConditionPlan.expand(o.experiments(), r.byPartition(), o.seed(), line -> log.println("  " + t.crosscoder() + " @ " + t.hook() + ": " + line)));
            meanF.put(t.crosscoder() + "\t" + t.hook(), r.toolMean());
        }
        // shard by shard: the items running at the same time and one after another on an executor share their prompts, whose
        // clean prefixes the executor's PrefixCache then computes once for all crosscoders (it holds a shard's, not every prompt's)
        List<EvaluationItem> items = new ArrayList<>();
        for (int from = 0, shard = 0; from < prompts.size(); from += o.shardSize(), shard++) {
            int to = Math.min(prompts.size(), from + o.shardSize());
            for (int i = 0; i < rankings.size(); i++) {
                FeatureRankingStage.Ranking r = rankings.get(i);
                items.add(new EvaluationItem(r.target(), shard, from, List.copyOf(prompts.subList(from, to)), List.copyOf(encoded.evaluation().subList(from, to)),
                        plans.get(i), r.toolMean()));
            }
        }
        for (EvaluationItem item : items) { // a marker whose rows are gone (deleted by hand, or an older layout): the item is redone
            if (markers.isDone(item.id()) && !HadoopFiles.exists(hadoopPath(item.file(out)), hadoop)) {
                log.println("  " + item.describe() + ": done marker without its rows " + item.file(out) + "; computing it again");
                HadoopFiles.fs(markers.marker(item.id()), hadoop).delete(markers.marker(item.id()), false);
            }
        }
        List<EvaluationItem> pending = WorkQueue.pending(items, markers);
        log.printf(Locale.ROOT, "  %d work item(s), %d already done%n", items.size(), items.size() - pending.size());
        if (!pending.isEmpty()) runItems(spark, items, pending, markers, new EvaluateTask(o, out, threads, hadoop), log);

        long t2 = System.nanoTime();

        // 4. tables: the items wrote the generations table; the others are small and written here, without Spark jobs
        List<org.apache.hadoop.fs.Path> files = new ArrayList<>();
        long forwarded = 0, naive = 0, read = 0;
        for (EvaluationItem item : items) {
            files.add(hadoopPath(item.file(out)));
            String marker = markers.read(item.id());
            if (marker == null) throw new IllegalStateException(item.describe() + " has no done marker " + markers.marker(item.id()));
            EvaluateTask.Tokens t = EvaluateTask.tokens(marker);
            forwarded += t.forwarded();
            naive += t.naive();
            read += t.partnerRead();
        }
        List<Row> verdicts = ParquetRows.read(files, EvaluationTables.VERDICTS, hadoop);
        List<Row> conditions = EvaluationTables.conditions(verdicts, meanF, o.protocol().headline(), o.seed());
        ParquetRows.writeTable(hadoopPath(out.resolve("conditions")), EvaluationTables.CONDITIONS, conditions, hadoop);
        ParquetRows.writeTable(hadoopPath(out.resolve("summary")), EvaluationTables.SUMMARY, EvaluationTables.summary(conditions, o.protocol().headline()),
                hadoop);

        long t3 = System.nanoTime();
        log.printf(Locale.ROOT, "  wall time: preflight %.1f s, ranking %.1f s, items %.1f s, tables %.1f s%n", (t0 - start) / 1e9, (t1 - t0) / 1e9,
                (t2 - t1) / 1e9, (t3 - t2) / 1e9);

        // 5. the cost of prefix reuse
        log.printf(Locale.ROOT, "  %d generations; tokens forwarded: %d with prefix reuse vs %d naively (%.0f%%), plus %d partner tokens read "
                + "(layers 0..L only)%n", verdicts.size(), forwarded, naive, naive == 0 ? 0 : 100.0 * forwarded / naive, read);
        return new Outcome(pending.size(), items.size() - pending.size(), verdicts.size(), forwarded, naive, read, (t2 - t1) / 1e9);
    }

    private static org.apache.hadoop.fs.Path hadoopPath(Path p) {
        return new org.apache.hadoop.fs.Path(p.toUri());
    }

    /** An evaluation's done markers: {@code OUT/items/<crosscoder>/<hook>/shard-NNNNN.done.json}. */
    private static DoneMarkers markers(Path out, Configuration conf) {
        return new DoneMarkers(new org.apache.hadoop.fs.Path(EvaluationItem.root(out).toUri()), ".done.json", conf);
    }

    /** The pending items, one Spark task each, with a progress line every {@link #PROGRESS_SECONDS}. */
    private static void runItems(SparkSession spark, List<EvaluationItem> items, List<EvaluationItem> pending, DoneMarkers markers,
                                 EvaluateTask task, PrintStream log) throws IOException {
        long prompts = 0;
        for (EvaluationItem item : items) prompts += item.prompts().size();
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "evaluate", List.of("prompts"));
             ProgressReporter progress = new ProgressReporter(markers, (id, json) -> new long[] {JSON.readTree(json).get("prompts").asLong()},
                     inFlight, items.size(), new long[] {prompts}, PROGRESS_SECONDS,
                     p -> String.format(Locale.ROOT, "  evaluate: %d/%d items, %d/%d prompts (%.1f%%), %.2f prompts/s, ETA %s",
                             p.itemsDone(), p.itemsTotal(), p.done()[0], p.total()[0], p.percent(0), p.rate(0), p.eta(0)), log::println)) {
            WorkQueue.run(spark, "evaluate: " + pending.size() + " items", pending, markers, task, inFlight.taskProgress());
            log.println(progress.line());
        }
    }

    /** OUT is new, empty, or a previous run of the same config (then its finished items are kept). */
    private static void claimOutput(Path out, EvaluateOptions o) throws IOException {
        Path settings = out.resolve(SETTINGS);
        if (Files.exists(settings)) {
            if (!Files.readString(settings).equals(o.canonical())) {
                throw new IllegalArgumentException(out + " holds an evaluation with another config; choose another --out");
            }
            return;
        }
        if (Files.isDirectory(out)) {
            try (var l = Files.list(out)) {
                if (l.findAny().isPresent()) throw new IllegalArgumentException(out + " exists, is not empty and holds no evaluation; choose another --out");
            }
        }
        Files.createDirectories(out);
        Files.writeString(settings, o.canonical());
    }

    private static List<PromptRecord> nonEmpty(List<PromptRecord> records, String path) {
        if (records.isEmpty()) throw new IllegalArgumentException(path + ": no prompts");
        return records;
    }
}
