package org.dfcspark.jobs.train;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.cluster.LocalCluster;
import org.dfcspark.jobs.harvest.StoreLayout;

/**
 * {@code bin/dfc bench train}: data-parallel scaling of crosscoder training on a Spark standalone cluster started here
 * (1 worker x 1 core, then 2 workers x 1 core, same run), on a synthetic store in the harvest's format; the store
 * reader (ours and Spark's Parquet reader) against the training rate; the all-reduce's time and bytes per step.
 */
public final class TrainBench {
    public record Settings(int d, int dictSize, int k, int rowsPerReplica, int steps, int measuredSteps, Path work, String workerMemory) {}

    private TrainBench() {}

    public static void run(Settings s, PrintStream out) throws Exception {
        Path store = s.work().resolve("store");
        int rows = s.rowsPerReplica() * 8, perShard = Math.max(1, s.rowsPerReplica() / 2);
        if (!Files.exists(store.resolve("manifest.json"))) {
            long t0 = System.nanoTime();
            SyntheticStore.write(store.toString(), s.d(), rows, perShard, 1);
            out.printf(Locale.ROOT, "synthetic store: %d rows x d %d (f16) in %d row groups, %.1f s%n", rows, s.d(), (rows + perShard - 1) / perShard,
                    (System.nanoTime() - t0) / 1e9);
        }
        String hook = "blocks.0.hook_resid_post";
        ourReaderRowsPerSecond(store.toString(), hook); // warm-up: JIT, Hadoop file system, page cache
        double ours = ourReaderRowsPerSecond(store.toString(), hook);
        double sparks = sparkReaderRowsPerSecond(store, s.d());
        out.printf(Locale.ROOT, "reader (1 thread, decode to float): ours %.0f rows/s, Spark's Parquet reader %.0f rows/s (%.2fx)%n", ours, sparks, ours / sparks);

        double[] rate = new double[3];
        for (int workers = 1; workers <= 2; workers++) {
            Result r = trainOnCluster(s, store, hook, workers);
            rate[workers] = r.rowsPerSecond();
            out.printf(Locale.ROOT, "%d worker(s) x 1 core: %.0f rows/s (%.0f per replica), %.0f ms/step, all-reduce %.0f ms and %.1f MB per step, after waiting %.0f ms for the slower replica%n",
                    workers, r.rowsPerSecond(), r.rowsPerSecond() / workers, 1e3 * s.rowsPerReplica() * workers / r.rowsPerSecond(),
                    r.allReduceMs(), r.bytesPerStep() / 1e6, r.waitMs());
        }
        double efficiency = rate[2] / (2 * rate[1]);
        out.printf(Locale.ROOT, "scaling efficiency (rows/s with 2 / 2 x rows/s with 1): %.2f%n", efficiency);
        out.printf(Locale.ROOT, "reader / training rate (2 workers): %.1fx (ours, one thread per replica)%n", ours / (rate[2] / 2));
        long params = 2L * s.dictSize() * 2 * s.d() + s.dictSize() + 2L * s.d();
        out.printf(Locale.ROOT, "gradient payload: %.1f MB per step at D = %d; %.1f MB at D = 32768 (d = %d)%n", 4.0 * params / 1e6, s.dictSize(),
                4.0 * (2L * 32768 * 2 * s.d() + 32768 + 2L * s.d()) / 1e6, s.d());
    }

    private record Result(double rowsPerSecond, double allReduceMs, double bytesPerStep, double waitMs) {}

    static double ourReaderRowsPerSecond(String store, String hook) throws IOException {
        StoreLayerIndex index = StoreLayerIndex.open(store, hook);
        long t0 = System.nanoTime(), n = 0;
        try (StoreUnits units = new StoreUnits(index)) {
            for (int u = 0; u < units.units(); u++) n += units.load(u).length / (2L * index.dModel());
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double sparkReaderRowsPerSecond(Path store, int d) {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("bench train reader").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        try {
            String dir = new StoreLayout(store.toString()).activationLayer(0).toString();
            spark.read().parquet(dir).count(); // warm up the session and the file listing
            long t0 = System.nanoTime();
            long n = spark.read().parquet(dir).select("a", "b").javaRDD().mapPartitions((Iterator<Row> it) -> {
                float[] row = new float[2 * d];
                long c = 0;
                while (it.hasNext()) {
                    Row r = it.next();
                    ActivationCodec.F16.decodeInto(java.nio.ByteBuffer.wrap((byte[]) r.get(0)), d, row, 0);
                    ActivationCodec.F16.decodeInto(java.nio.ByteBuffer.wrap((byte[]) r.get(1)), d, row, d);
                    c++;
                }
                return List.of(c).iterator();
            }).reduce(Long::sum);
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            spark.stop();
        }
    }

    private static Result trainOnCluster(Settings s, Path store, String hook, int workers) throws Exception {
        Path root = ProjectPaths.root();
        String classes = root.resolve("jobs/target/classes") + File.pathSeparator + root.resolve("common/target/classes");
        String deps = Files.readString(root.resolve("jobs/target/classpath.txt")).trim();
        Path clusterDir = s.work().resolve("cluster-" + workers);
        Files.createDirectories(clusterDir);
        try (LocalCluster cluster = LocalCluster.start(clusterDir, deps, workers, 1, s.workerMemory())) {
            SparkSession spark = SparkSession.builder().master(cluster.masterUrl).appName("bench train " + workers)
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.executor.cores", "1").config("spark.cores.max", Integer.toString(workers))
                    .config("spark.executor.memory", s.workerMemory()).config("spark.executor.extraClassPath", classes)
                    .config(org.dfcspark.jobs.cluster.ClusterPaths.SHARED_FS, "true") // one machine: every node sees the store
                    .config("spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1 -XX:+UseTransparentHugePages")
                    .config("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE").config("spark.executorEnv.MALLOC_MMAP_MAX_", "0")
                    .config("spark.executorEnv.MALLOC_TRIM_THRESHOLD_", "68719476736").config("spark.executorEnv.MALLOC_ARENA_MAX", "1")
                    .config("spark.executorEnv.THP_MEM_ALLOC_ENABLE", "1")
                    .config("spark.executorEnv.DJL_CACHE_DIR", System.getenv().getOrDefault("DJL_CACHE_DIR", root.resolve(".djl-cache").toString()))
                    .getOrCreate();
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (spark.sparkContext().statusTracker().getExecutorInfos().length < workers + 1 && System.nanoTime() < deadline) Thread.sleep(200);
                Path out = Files.createTempDirectory(s.work(), "out-" + workers + "-").resolve("crosscoder");
                TrainConfig cfg = TrainConfig.defaults().with(Map.ofEntries(Map.entry("store", store.toString()), Map.entry("hook", hook),
                        Map.entry("dict_size", Integer.toString(s.dictSize())), Map.entry("k", Integer.toString(s.k())),
                        Map.entry("batch", Integer.toString(s.rowsPerReplica() * workers)), Map.entry("replicas", Integer.toString(workers)),
                        Map.entry("steps", Integer.toString(s.steps())), Map.entry("log_every", Integer.toString(s.steps() - s.measuredSteps())),
                        Map.entry("checkpoint_every", "0"), Map.entry("normalization", "none"), Map.entry("threads", "1"),
                        Map.entry("hash_every", Integer.toString(s.steps()))));
                TrainJob.Outcome o = TrainJob.run(spark, cfg, out, false, new PrintStream(PrintStream.nullOutputStream()));
                List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
                double steady = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metrics.get(metrics.size() - 1)).path("rows_per_s").asDouble();
                return new Result(steady, o.allReduceMsPerStep(), o.bytesPerStep(), o.waitMsPerStep());
            } finally {
                spark.stop();
            }
        }
    }
}
