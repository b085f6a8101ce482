package org.dfcspark.jobs.harvest;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.Rendering;
import org.dfcspark.harvest.ChannelMoments;
import org.dfcspark.harvest.HarvestCounts;
import org.dfcspark.harvest.ModelPair;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.harvest.SequencePreparer;
import org.dfcspark.io.OutputDirs;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.cluster.TaskFailure;
import org.dfcspark.jobs.work.DoneMarkers;
import org.dfcspark.jobs.work.HadoopFiles;
import org.dfcspark.jobs.work.InFlightProgress;
import org.dfcspark.jobs.work.ItemPartitioner;
import org.dfcspark.jobs.work.ProgressReporter;
import org.dfcspark.jobs.work.WorkQueue;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import scala.Tuple2;

/**
 * The paired activation harvest (driver side). In order: refuse incompatible input before writing anything;
 * recognise a finished harvest (no-op) or one to resume (same settings required); plan once; run the shards
 * not yet done, one Spark task each, with a progress line; check every shard's marker; compute statistics;
 * optionally write the shuffled copy; write manifest.json last.
 */
public final class HarvestJob {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PREFLIGHT_SAMPLE = 16;

    private HarvestJob() {}

    /** What a run did. */
    public record Result(boolean alreadyComplete, int shards, int shardsRun, HarvestCounts counts, String manifest) {}

    public static Result run(SparkSession spark, HarvestOptions given, Consumer<String> log) throws Exception {
        HarvestOptions o = given.resolvedFor(spark.sparkContext().getConf()); // before any work: paths as executors see them
        try {
            return harvest(spark, o, log);
        } catch (SparkException e) {
            // One line: whether a rerun can cure it, what failed (shard, file), and where the stack trace went.
            throw TaskFailure.report("harvest", e, logDir(o), "finished shards are kept");
        }
    }

    /** Where a failure's stack trace goes: the store's _harvest/logs when the store is local, else the temp dir. */
    private static Path logDir(HarvestOptions o) {
        return ClusterPaths.isLocalPath(o.out()) ? Path.of(o.out(), "_harvest", "logs")
                : Path.of(System.getProperty("java.io.tmpdir"), "dfc-logs");
    }

    private static Result harvest(SparkSession spark, HarvestOptions o, Consumer<String> log) throws Exception {
        Instant started = Instant.now();
        Configuration conf = HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration());
        StoreLayout layout = new StoreLayout(o.out());

        Preflight pf = preflight(spark, o);
        ObjectNode settings = o.fingerprint(JSON, pf.configShaA, pf.configShaB, pf.tokenizerSha);
        String master = spark.sparkContext().master();
        int threads = o.threads() > 0 ? o.threads() : threadsPerTask(spark.sparkContext().getConf());

        if (HadoopFiles.exists(layout.manifest(), conf)) {
            JsonNode manifest = JSON.readTree(HadoopFiles.read(layout.manifest(), conf));
            requireSameSettings(o, manifest.get("settings"), settings, layout.manifest().toString());
            if (o.shuffle() && manifest.get("shuffled").isNull()) {
                ShuffledCopy.write(spark, layout, o.layers(), o.shuffleSeed(), conf);
                ObjectNode updated = (ObjectNode) manifest;
                updated.set("shuffled", shuffledNode(spark, layout, o));
                HadoopFiles.writeAtomically(layout.manifest(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(updated), true, conf);
                log.accept("harvest: already complete; added the shuffled copy under " + layout.shuffled());
            } else {
                log.accept("harvest: already complete (" + layout.manifest() + "); nothing to do");
            }
            return new Result(true, manifest.get("shards").asInt(), 0, null, layout.manifest().toString());
        }
        if (HadoopFiles.exists(layout.settings(), conf)) {
            requireSameSettings(o, JSON.readTree(HadoopFiles.read(layout.settings(), conf)), settings, layout.settings().toString());
            log.accept("harvest: resuming the harvest in " + layout.root());
        } else {
            requireEmptyOrAbsent(layout, conf);
            HadoopFiles.writeAtomically(layout.settings(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings), true, conf);
        }

        long t = System.nanoTime();
        HarvestPlan.Summary plan = HarvestPlan.ensure(spark, o, layout, conf, JSON);
        log.accept(String.format("harvest: plan: %d prompts in %d shards, %d tokens (%d truncated to %d, %d with nothing to harvest) [%s]",
                plan.prompts(), plan.shards(), plan.tokens(), plan.truncated(), o.maxLength(), plan.empty(), seconds(t)));
        if (plan.empty() == plan.prompts()) {
            throw new IllegalArgumentException("none of the " + plan.prompts() + " prompts has a position to harvest with --positions "
                    + o.positions().id() + (o.positions().id().equals("assistant") ? " (it needs prompts with tool-call gold answers)" : ""));
        }

        DoneMarkers markers = markers(layout, conf);
        HadoopFiles.deleteTemporaries(layout.activations(), conf);
        markers.deleteTemporaries();
        Set<String> done = markers.doneIds();
        List<Integer> pending = new ArrayList<>();
        for (int s = 0; s < plan.shards(); s++) if (!done.contains(StoreLayout.shardName(s))) pending.add(s);
        log.accept("harvest: " + (plan.shards() - pending.size()) + " of " + plan.shards() + " shards already done; running " + pending.size()
                + " on " + master + " with " + threads + " libtorch thread(s) per task");
        t = System.nanoTime();
        if (!pending.isEmpty()) runShards(spark, o, layout, markers, conf, pending, threads, pf.padId, plan, log);
        log.accept("harvest: shards done [" + seconds(t) + "]");

        HarvestCounts counts = collectMarkers(markers, plan.shards());
        t = System.nanoTime();
        Map<Integer, ChannelMoments[]> stats = StoreStatistics.compute(spark, layout, o.dtype(), pf.dModel);
        HadoopFiles.writeAtomically(layout.statistics(), StoreStatistics.toJson(stats, o.layers(), pf.dModel, JSON), true, conf);
        log.accept("harvest: statistics [" + seconds(t) + "]");
        JsonNode shuffled = null;
        if (o.shuffle()) {
            t = System.nanoTime();
            ShuffledCopy.write(spark, layout, o.layers(), o.shuffleSeed(), conf);
            shuffled = shuffledNode(spark, layout, o);
            log.accept("harvest: shuffled copy [" + seconds(t) + "]");
        }
        HarvestManifest.Models models = new HarvestManifest.Models(o.modelA(), pf.configShaA, o.modelB(), pf.configShaB,
                pf.tokenizerSha, pf.numLayers, pf.dModel);
        ObjectNode manifest = HarvestManifest.build(JSON, o, models, settings, counts, plan.shards(), started, Instant.now(),
                CodeVersion.describe(codeRoot()), master, threads, null);
        if (shuffled != null) manifest.set("shuffled", shuffled);
        HadoopFiles.writeAtomically(layout.manifest(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest), true, conf);

        StringBuilder rows = new StringBuilder();
        counts.layers.forEach((l, c) -> rows.append(rows.length() == 0 ? "" : ", ").append("layer ").append(l).append(": ")
                .append(c.rows).append(" rows").append(c.sinks > 0 ? ", " + c.sinks + " sinks " + o.sinkPolicy().id() + (o.sinkPolicy().id().equals("drop") ? "ped" : "ged") : "")
                .append(c.nonfinite > 0 ? ", " + c.nonfinite + " NaN/Inf not written" : "")
                .append(c.overflow > 0 ? ", " + c.overflow + " beyond " + o.dtype().id() + " range not written" : ""));
        log.accept("harvest: complete: " + rows + "; " + layout.manifest());
        return new Result(false, plan.shards(), pending.size(), counts, layout.manifest().toString());
    }

    /** A harvest's done markers: {@code _harvest/done/shard-NNNNN.json}. */
    private static DoneMarkers markers(StoreLayout layout, Configuration conf) {
        return new DoneMarkers(layout.doneDir(), ".json", conf);
    }

    /** The pending shards, one Spark task each, their prompts read from the plan; a progress line meanwhile. */
    private static void runShards(SparkSession spark, HarvestOptions o, StoreLayout layout, DoneMarkers markers, Configuration conf,
                                  List<Integer> pending, int threads, int padId, HarvestPlan.Summary plan,
                                  Consumer<String> log) throws IOException {
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "harvest", List.of("prompts", "tokens"));
             ProgressReporter progress = new ProgressReporter(markers, (id, json) -> promptsAndTokens(json, markers.marker(id)),
                     inFlight, plan.shards(), new long[] {plan.prompts(), plan.tokens()}, o.progressSeconds(),
                     p -> String.format("harvest: %d/%d prompts (%.1f%%), %.0f tok/s, ETA %s",
                             p.done()[0], p.total()[0], p.percent(0), p.rate(1), p.eta(1)), log)) {
            JavaRDD<HarvestShard> items = spark.read().parquet(layout.plan().toString())
                    .where(col("shard").isin(pending.toArray()))
                    .javaRDD()
                    .mapToPair(r -> new Tuple2<>(StoreLayout.shardName(r.getInt(r.fieldIndex("shard"))), r))
                    .partitionBy(new ItemPartitioner(pending.stream().map(StoreLayout::shardName).toList()))
                    .mapPartitions(HarvestShard::fromRows);
            WorkQueue.run(items, "harvest: " + pending.size() + " shards", markers,
                    new ShardTask(o, layout, conf, threads, padId), inFlight.taskProgress());
            log.accept(progress.line());
        }
    }

    private static long[] promptsAndTokens(String markerJson, org.apache.hadoop.fs.Path marker) {
        HarvestCounts c = ShardSummary.fromJson(markerJson, marker.toString()).counts();
        return new long[] {c.prompts, c.tokens};
    }

    /** Sums every shard's marker; a missing marker means the run did not complete (it never should get here). */
    private static HarvestCounts collectMarkers(DoneMarkers markers, int shards) throws IOException {
        HarvestCounts total = new HarvestCounts();
        for (int s = 0; s < shards; s++) {
            String id = StoreLayout.shardName(s), json = markers.read(id);
            if (json == null) throw new IllegalStateException("shard " + s + " has no done marker " + markers.marker(id));
            total.merge(ShardSummary.fromJson(json, markers.marker(id).toString()).counts());
        }
        return total;
    }

    private static ObjectNode shuffledNode(SparkSession spark, StoreLayout layout, HarvestOptions o) {
        ObjectNode sh = JSON.createObjectNode();
        sh.put("path", "shuffled");
        sh.put("seed", o.shuffleSeed());
        sh.put("order", "xxhash64(sample_id, seed)");
        ObjectNode rows = sh.putObject("rows");
        for (int layer : o.layers()) rows.put(Integer.toString(layer), spark.read().parquet(layout.shuffledLayer(layer).toString()).count());
        return sh;
    }

    private static void requireSameSettings(HarvestOptions o, JsonNode recorded, ObjectNode now, String where) {
        JsonNode stored = canonicalPaths(recorded);
        if (stored != null && stored.equals(now)) return;
        List<String> diff = new ArrayList<>();
        if (stored == null) diff.add("(no settings recorded)");
        else {
            Set<String> keys = new TreeSet<>();
            stored.fieldNames().forEachRemaining(keys::add);
            now.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) if (!java.util.Objects.equals(stored.get(k), now.get(k))) diff.add(k + " " + stored.get(k) + " -> " + now.get(k));
        }
        throw new IllegalArgumentException(o.out() + " holds a harvest made with other settings (" + String.join("; ", diff)
                + ", see " + where + "); use another --out or the same settings");
    }

    /** A recorded fingerprint with its paths canonical (older stores recorded them as given, e.g. relative). */
    private static JsonNode canonicalPaths(JsonNode recorded) {
        if (recorded == null || !recorded.isObject()) return recorded;
        ObjectNode c = recorded.deepCopy();
        for (String k : List.of("model_a", "model_b", "prompts")) {
            if (c.hasNonNull(k)) c.put(k, ClusterPaths.canonical(c.get(k).asText()));
        }
        return c;
    }

    private static void requireEmptyOrAbsent(StoreLayout layout, Configuration conf) throws IOException {
        FileSystem fs = HadoopFiles.fs(layout.root(), conf);
        if (!fs.exists(layout.root())) return;
        for (FileStatus s : fs.listStatus(layout.root())) {
            if (!s.getPath().getName().equals("_harvest")) {
                throw new IllegalArgumentException(layout.root() + " is not empty and holds no harvest; use a new --out");
            }
        }
    }

    /** Everything checked before any output is written. */
    private record Preflight(String configShaA, String configShaB, String tokenizerSha, int dModel, int numLayers, int padId) {}

    /**
     * Opens and validates, on the driver, everything a task will open, so that bad input is refused in seconds with
     * one line: both models' configs, weight headers and tensor tables, the tokenizer and chat template, the prompts
     * (schema, and a sample of rows rendered and tokenized as the plan will), and the compute dtype against the
     * devices the tasks get.
     */
    private static Preflight preflight(SparkSession spark, HarvestOptions o) throws IOException {
        if (ClusterPaths.isLocalPath(o.out())) OutputDirs.requireWritable(Path.of(o.out()), "--out");
        Path a = Path.of(o.modelA());
        Path b = Path.of(o.modelB());
        for (Path dir : List.of(a, b)) {
            if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory not found: " + dir);
        }
        ModelPair.check(a, b);
        requireDevicesFor(o.computeDtype(), spark.sparkContext().getConf());
        Qwen2Config cfg = Qwen2Model.validate(a);
        Qwen2Model.validate(b);
        for (int layer : o.layers()) {
            if (layer >= cfg.numHiddenLayers()) {
                throw new IllegalArgumentException("layer " + layer + " does not exist: the models have " + cfg.numHiddenLayers()
                        + " decoder layers (0.." + (cfg.numHiddenLayers() - 1) + ")");
            }
        }
        int padId;
        try (Tokenizer tok = Tokenizer.load(a)) {
            if (tok.vocabSize() > cfg.vocabSize()) {
                throw new IllegalArgumentException(a.resolve("tokenizer.json") + " produces ids up to " + (tok.vocabSize() - 1)
                        + " but the models' vocab_size is " + cfg.vocabSize());
            }
            padId = tok.padTokenId() != null ? tok.padTokenId() : 0;
        }
        if (!Rendering.Mode.parse(o.rendering()).equals(Rendering.Mode.RAW)) ChatTemplate.load(a);
        if (!o.prompts().contains("://") && !Files.exists(Path.of(o.prompts()))) {
            throw new IllegalArgumentException("prompts not found: " + o.prompts());
        }
        samplePrompts(spark, o);
        return new Preflight(ModelPair.configSha256(a), ModelPair.configSha256(b), ModelPair.tokenizerSha256(a),
                cfg.hiddenSize(), cfg.numHiddenLayers(), padId);
    }

    /** The first prompts, read, rendered and tokenized on the driver exactly as the plan will (one line on failure). */
    private static void samplePrompts(SparkSession spark, HarvestOptions o) throws IOException {
        List<PromptRecord> sample;
        try {
            sample = HarvestInputs.read(spark, o.prompts()).take(PREFLIGHT_SAMPLE);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) { // a Spark job reading the sample failed
            throw new IllegalArgumentException(o.prompts() + ": cannot read the prompts (" + TaskFailure.firstLineOfRoot(e) + ")", e);
        }
        SequencePreparer p = SequencePreparer.forModel(Path.of(o.modelA()), Rendering.Mode.parse(o.rendering()), o.positions(),
                o.maxLength(), o.truncation(), o.includeSpecial());
        for (int i = 0; i < sample.size(); i++) {
            try {
                p.prepare(i, sample.get(i));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(o.prompts() + ": prompt " + sample.get(i).id() + " (row " + i + "): " + e.getMessage(), e);
            }
        }
    }

    /** f16 compute needs a GPU per task: refused before any work when the tasks get none (local mode, or no gpu resource). */
    static void requireDevicesFor(String computeDtype, SparkConf c) {
        if (!"f16".equals(computeDtype)) return;
        String master = c.get("spark.master", "local");
        double gpus = Double.parseDouble(c.get("spark.task.resource.gpu.amount", "0"));
        if (ClusterPaths.isLocal(master) || gpus <= 0) {
            throw new IllegalArgumentException("--compute-dtype f16 needs a GPU for every task, but the tasks on " + master + " get none"
                    + (ClusterPaths.isLocal(master) ? " (local mode runs on the CPU)" : " (spark.task.resource.gpu.amount is not set)")
                    + "; use --compute-dtype f32, or a GPU cluster with conf/spark-gpu-cluster.conf");
        }
    }

    private static String seconds(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }

    static int threadsPerTask(SparkConf c) {
        return ExecutorRuntime.threadsPerTask(c.get("spark.master", "local[2]"), c.getInt("spark.executor.cores", 1),
                c.getInt("spark.task.cpus", 1));
    }

    private static Path codeRoot() {
        try {
            return ProjectPaths.root();
        } catch (IllegalStateException e) {
            return Path.of("").toAbsolutePath();
        }
    }

}
