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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.work.DoneMarkers;
import org.dfcspark.jobs.work.HadoopFiles;
import org.dfcspark.jobs.work.InFlightProgress;
import org.dfcspark.jobs.work.ProgressReporter;
import org.dfcspark.jobs.work.WorkQueue;

/**
 * {@code bin/dfc evaluate}: reconstruction, spillover and steering for every crosscoder × hook of a config, on Spark.
 * The driver checks every input ({@link Preflight}), ranks features in a Spark stage of one task per hook
 * ({@link FeatureRankingStage}, written to {@code OUT/features/}), expands the experiments into conditions per crosscoder ({@link ConditionPlan}) and cuts
 * work items of {@code shard_size} prompts; one Spark task per pending item ({@link EvaluateTask}) generates and
 * scores. From the items' files it writes {@code OUT/generations/}, {@code OUT/conditions/} and {@code OUT/summary/}
 * (data-schemas/evaluation.md). Resumable: a rerun into the same OUT with the same config skips finished items; a
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
        List<PromptRecord> prompts = nonEmpty(PromptsTable.readLocal(spark, o.prompts(), o.limit()), o.prompts());
        List<PromptRecord> tool = nonEmpty(PromptsTable.readLocal(spark, o.rankingTool(), o.rankingLimit()), o.rankingTool());
        List<PromptRecord> generic = nonEmpty(PromptsTable.readLocal(spark, o.rankingGeneric(), o.rankingLimit()), o.rankingGeneric());
        EncodedPrompts encoded = Preflight.encode(o, prompts, tool, generic, log);
        claimOutput(out, o);
        log.printf(Locale.ROOT, "evaluate: %d crosscoder x hook target(s), %d prompts, protocol %s, up to %d new tokens -> %s%n",
                targets.size(), prompts.size(), o.protocol().id(), o.maxNewTokens(), out);

        // 2. ranking: a Spark stage, one task per hook
        long t0 = System.nanoTime();
        SparkConf conf = spark.sparkContext().getConf();
        int threads = ExecutorRuntime.threadsPerTask(conf.get("spark.master", "local[2]"), conf.getInt("spark.executor.cores", 1),
                conf.getInt("spark.task.cpus", 1));
        List<FeatureRankingStage.Ranking> rankings = FeatureRankingStage.run(spark, o, targets, encoded);
        spark.createDataFrame(FeatureRankingStage.rows(rankings), EvaluationTables.FEATURES).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(out.resolve("features").toString());

        long t1 = System.nanoTime();

        // 3. work items
        Configuration hadoop = HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration());
        DoneMarkers markers = markers(out, hadoop);
        markers.deleteTemporaries(); // what killed attempts left
        List<EvaluationItem> items = new ArrayList<>();
        Map<String, double[]> meanF = new HashMap<>();
        for (FeatureRankingStage.Ranking r : rankings) {
            EvaluationTarget t = r.target();
            List<PlannedCondition> conditions = ConditionPlan.expand(o.experiments(), r.byPartition(), o.seed(),
                    line -> log.println("  " + t.crosscoder() + " @ " + t.hook() + ": " + line));
            meanF.put(t.crosscoder() + "\t" + t.hook(), r.toolMean());
            for (int from = 0, shard = 0; from < prompts.size(); from += o.shardSize(), shard++) {
                int to = Math.min(prompts.size(), from + o.shardSize());
                items.add(new EvaluationItem(t, shard, from, List.copyOf(prompts.subList(from, to)), List.copyOf(encoded.evaluation().subList(from, to)),
                        conditions, r.toolMean()));
            }
        }
        List<EvaluationItem> pending = WorkQueue.pending(items, markers);
        log.printf(Locale.ROOT, "  %d work item(s), %d already done%n", items.size(), items.size() - pending.size());
        if (!pending.isEmpty()) runItems(spark, items, pending, markers, new EvaluateTask(o, out, threads, hadoop), log);

        long t2 = System.nanoTime();

        // 4. tables
        List<String> files = new ArrayList<>();
        long forwarded = 0, naive = 0, read = 0;
        for (EvaluationItem item : items) {
            files.add(item.file(out).toString());
            String marker = markers.read(item.id());
            if (marker == null) throw new IllegalStateException(item.describe() + " has no done marker " + markers.marker(item.id()));
            EvaluateTask.Tokens t = EvaluateTask.tokens(marker);
            forwarded += t.forwarded();
            naive += t.naive();
            read += t.partnerRead();
        }
        Dataset<Row> generations = spark.read().schema(EvaluationTables.GENERATIONS).json(files.toArray(new String[0]));
        generations.write().mode(SaveMode.Overwrite).parquet(out.resolve("generations").toString());
        List<Row> verdicts = spark.read().parquet(out.resolve("generations").toString()).drop("text", "prompt_ids", "generated_ids").collectAsList();
        List<Row> conditions = EvaluationTables.conditions(verdicts, meanF, o.protocol().headline(), o.seed());
        spark.createDataFrame(conditions, EvaluationTables.CONDITIONS).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(out.resolve("conditions").toString());
        spark.createDataFrame(EvaluationTables.summary(conditions, o.protocol().headline()), EvaluationTables.SUMMARY).coalesce(1).write()
                .mode(SaveMode.Overwrite).parquet(out.resolve("summary").toString());

        long t3 = System.nanoTime();
        log.printf(Locale.ROOT, "  wall time: preflight %.1f s, ranking %.1f s, items %.1f s, tables %.1f s%n", (t0 - start) / 1e9, (t1 - t0) / 1e9,
                (t2 - t1) / 1e9, (t3 - t2) / 1e9);

        // 5. the cost of prefix reuse
        log.printf(Locale.ROOT, "  %d generations; tokens forwarded: %d with prefix reuse vs %d naively (%.0f%%), plus %d partner tokens read "
                + "(layers 0..L only)%n", verdicts.size(), forwarded, naive, naive == 0 ? 0 : 100.0 * forwarded / naive, read);
        return new Outcome(pending.size(), items.size() - pending.size(), verdicts.size(), forwarded, naive, read, (t2 - t1) / 1e9);
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
