package org.dfcspark.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import scala.reflect.ClassTag$;

/**
 * {@code bin/dfc train}: one crosscoder trained by {@code replicas} data-parallel replicas, the tasks of one Spark
 * barrier stage ({@link ReplicaTask}). The driver only checks and plans: it opens the data (the store's manifest and
 * footers), fits the normalisation from the store's statistics, checks the output directory, and runs the stage. A
 * failed attempt (a lost executor, a killed task) is retried from the last checkpoint, up to {@code max_attempts}
 * times ({@code max_attempts}); bad input fails at once with one line.
 */
public final class TrainJob {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a run did. {@code stopped} is empty when it completed; {@code alreadyDone}: {@code out} held the finished run. */
    public record Outcome(Path out, long steps, boolean alreadyDone, String stopped, double rowsPerSecond, double allReduceMsPerStep,
                          double bytesPerStep, long resumedFrom, int attempts, double seconds, double waitMsPerStep) {}

    private TrainJob() {}

    public static Outcome run(SparkSession spark, TrainConfig cfg, Path outArg, boolean resume, PrintStream log) throws IOException {
        long started = System.nanoTime();
        // Paths as the executors will see them: absolute, canonical, refused when a cluster's executors cannot see them.
        SparkConf sparkConf = spark.sparkContext().getConf();
        Path out = Path.of(ClusterPaths.forExecutors(outArg.toString(), "--out", sparkConf));
        if (cfg.store() != null) {
            int hash = cfg.store().indexOf('#');
            String file = hash < 0 ? cfg.store() : cfg.store().substring(0, hash), tensor = hash < 0 ? "" : cfg.store().substring(hash);
            cfg = cfg.with(Map.of("store", ClusterPaths.forExecutors(file, "--store", sparkConf) + tensor));
        }
        TrainData data = TrainData.of(cfg);
        checkData(cfg, data, log);
        TrainState existing = checkOut(out, cfg, data, resume);
        if (existing != null && existing.finished()) {
            log.println(out + " already holds this run, finished at step " + existing.step() + "; nothing to do");
            return new Outcome(out, existing.step(), true, "", 0, 0, 0, existing.step(), 0, 0, 0);
        }
        Normalization norm = data.normalization(cfg);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("data", data.describe());
        prov.put("store", cfg.store());
        if (cfg.hook() != null && !TrainData.isSafetensors(cfg.store())) prov.put("hook", cfg.hook());
        prov.put("data_rows", data.rows());
        prov.put("init_weights", cfg.init().id());
        CrosscoderConfig ccConfig = cfg.crosscoderConfig(data.dim(), norm).withProvenance(prov);

        int threads = threadsPerReplica(spark, cfg);
        log.printf(Locale.ROOT, "training %s on %s: %d steps x %d rows, %d replica(s) (%s), %d stream(s), %d thread(s) per replica -> %s%n",
                describe(ccConfig), data.describe(), cfg.steps(), cfg.batch(), cfg.replicas(), cfg.sync().id(), cfg.streamCount(), threads, out);

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> ranks = new ArrayList<>();
        for (int r = 0; r < cfg.replicas(); r++) ranks.add(r);
        ReplicaTask<Integer> task = new ReplicaTask<>(cfg, ccConfig, ignored -> data.open(), out, threads);
        for (int attempt = 1; ; attempt++) {
            try {
                jsc.setJobDescription("dfc train " + out.getFileName() + " (attempt " + attempt + ")");
                List<ReplicaTask.Result> results = jsc.parallelize(ranks, cfg.replicas()).rdd().barrier()
                        .mapPartitions(task, false, ClassTag$.MODULE$.apply(ReplicaTask.Result.class))
                        .toJavaRDD().collect();
                return outcome(out, results.stream().map(ReplicaTask.Result::json).toList(), attempt, started);
            } catch (Exception e) { // SparkException (a task failed) is checked in Java but thrown by collect()
                Throwable cause = rootCause(e);
                if (cause instanceof IllegalArgumentException || attempt >= cfg.maxAttempts()) {
                    String what = cause.getMessage() == null ? cause.toString() : cause.getMessage();
                    if (cause instanceof IllegalArgumentException) throw new IllegalArgumentException(what, e);
                    throw new IllegalStateException("training failed after " + attempt + " attempts: " + what
                            + "; the last checkpoint in " + out + " is kept (rerun with --resume to continue)", e);
                }
                long at = TrainState.exists(out) ? TrainState.read(out).step() : 0;
                log.println("a replica failed (" + firstLine(cause) + "); restarting all replicas from the last checkpoint (step " + at
                        + "), attempt " + (attempt + 1) + " of " + cfg.maxAttempts());
            }
        }
    }

    /** Refuses data a run cannot train on (too few row groups for its streams, too many NaN rows); notes the rest. */
    public static void checkData(TrainConfig cfg, TrainData data, PrintStream log) {
        if (data.units() < cfg.streamCount()) {
            throw new IllegalArgumentException(data.describe() + ": " + data.units() + " row groups, fewer than the " + cfg.streamCount()
                    + " data streams (streams = replicas unless set); use fewer replicas or streams, or harvest with smaller shards");
        }
        if (data.rows() < cfg.microBatch()) {
            log.println("note: " + data.describe() + " has fewer rows than one micro-batch (" + cfg.microBatch() + "); rows repeat within a step");
        }
        if (data.badRows() > cfg.maxBadRows()) {
            throw new IllegalArgumentException(data.describe() + ": " + data.badRows() + " rows with NaN/Inf, more than max_bad_rows = "
                    + cfg.maxBadRows() + " (they would be skipped; raise max_bad_rows to train on the rest)");
        }
        if (data.badRows() > 0) log.println("note: " + data.badRows() + " rows with NaN/Inf will be skipped (max_bad_rows = " + cfg.maxBadRows() + ")");
    }

    /** Refuses an output directory that is not this run's: another run's checkpoint, foreign files, an unfinished run without --resume. */
    private static TrainState checkOut(Path out, TrainConfig cfg, TrainData data, boolean resume) throws IOException {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) throw new IllegalArgumentException(out + " exists and is not a directory; choose another --out");
            if (TrainState.exists(out)) {
                TrainState st = TrainState.read(out);
                String diff = cfg.identityDifference(st.settings());
                if (!diff.isEmpty()) {
                    throw new IllegalArgumentException(out + " holds a training run with other settings (" + diff + "); choose another --out");
                }
                JsonNode saved = JSON.readTree(out.resolve(org.dfcspark.dfc.Checkpoint.CONFIG).toFile());
                if (saved.path("activation_dim").asInt() != data.dim()) {
                    throw new IllegalArgumentException(out + " holds a crosscoder of d = " + saved.path("activation_dim").asInt()
                            + " but " + data.describe() + " has d = " + data.dim());
                }
                if (!st.finished() && !resume) {
                    throw new IllegalArgumentException(out + " holds an unfinished run at step " + st.step() + "/" + cfg.steps()
                            + "; pass --resume to continue it, or choose another --out");
                }
                return st;
            }
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(out + " exists, is not empty and holds no training run; choose another --out");
            }
        }
        Path parent = out.getParent();
        Files.createDirectories(parent);
        if (!Files.isWritable(parent)) throw new IllegalArgumentException(parent + " is not writable; choose another --out");
        return null;
    }

    /**
     * Compute threads per replica ({@code threads}, or the task's share of its executor's cores); refuses more replicas
     * than a local master has task slots.
     */
    public static int threadsPerReplica(SparkSession spark, TrainConfig cfg) {
        SparkConf conf = spark.sparkContext().getConf();
        String master = conf.get("spark.master", "local[2]");
        checkSlots(master, cfg.replicas());
        return cfg.threads() > 0 ? cfg.threads()
                : ExecutorRuntime.threadsPerTask(master, conf.getInt("spark.executor.cores", 1), conf.getInt("spark.task.cpus", 1));
    }

    /** In local mode a barrier stage needs one slot per replica: refuse at once instead of waiting for slots that never come. */
    private static void checkSlots(String master, int replicas) {
        if (!master.startsWith("local")) return;
        int slots = masterSlots(master);
        if (slots < replicas) {
            throw new IllegalArgumentException(replicas + " replicas need " + replicas + " task slots, but " + master + " has " + slots
                    + " (use --master local[" + replicas + "] or a cluster)");
        }
    }

    static int masterSlots(String master) {
        if (master.equals("local")) return 1;
        String n = master.substring(master.indexOf('[') + 1, master.indexOf(']')).split(",")[0].trim();
        return n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
    }

    private static Outcome outcome(Path out, List<String> results, int attempts, long started) throws IOException {
        JsonNode r0 = null;
        for (String r : results) {
            JsonNode n = JSON.readTree(r);
            if (n.path("rank").asInt() == 0) r0 = n;
        }
        if (r0 == null) throw new IllegalStateException("no result from replica 0");
        return new Outcome(out, r0.path("steps").asLong(), false, r0.path("stopped").asText(), r0.path("rows_per_s").asDouble(),
                r0.path("allreduce_ms_per_step").asDouble(), r0.path("bytes_per_step").asDouble(), r0.path("resumed_from").asLong(),
                attempts, (System.nanoTime() - started) / 1e9, r0.path("wait_ms_per_step").asDouble());
    }

    static String describe(CrosscoderConfig c) {
        return "crosscoder d=" + c.activationDim() + " " + c.partition() + ", " + c.sparsity().id() + " k=" + c.k() + ", loss "
                + c.loss().id() + ", " + c.coupling().id() + " decoders, normalisation "
                + (c.normalization() == null ? "none" : c.normalization().scheme().id() + (c.normalization().shared() ? " (shared)" : ""));
    }

    /**
     * The exception a replica threw: the end of the cause chain, or, for a task failure (Spark reports it as a
     * SparkException whose message carries the executor's exception as text), that exception rebuilt from its line.
     */
    public static Throwable rootCause(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        if (c != e || e.getMessage() == null) return c;
        for (String line : e.getMessage().split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z][\\w.]*\\.(\\w*(?:Exception|Error))): (.*)$").matcher(line.trim());
            if (!m.matches()) continue;
            return m.group(2).equals("IllegalArgumentException") ? new IllegalArgumentException(m.group(3))
                    : new IllegalStateException(m.group(3));
        }
        return c;
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
