package org.dfcspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.train.AllReduce;
import org.dfcspark.dfc.train.ReplicaTrainer;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.jobs.cluster.ClusterDefaults;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.cluster.ShippedJars;
import org.dfcspark.jobs.cluster.StandaloneCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on a real Spark standalone cluster (a master and two one-core workers started here from the Maven jars,
 * as child JVMs, with none of the project's jars: the driver ships them): each replica runs in its own executor JVM
 * and the all-reduce crosses process boundaries. The result equals one process training on the same streams.
 */
class TrainOnClusterTest {
    @TempDir
    Path dir;

    @Test
    void twoReplicasOnAStandaloneClusterTrainWhatOneProcessTrains() throws Exception {
        Path store = dir.resolve("store");
        SyntheticStore.write(store.toString(), 32, 2048, 256, 7);
        TrainConfig cfg = TrainConfig.defaults().with(Map.ofEntries(Map.entry("store", store.toString()),
                Map.entry("hook", "blocks.0.hook_resid_post"), Map.entry("dict_size", "128"), Map.entry("k", "8"),
                Map.entry("steps", "12"), Map.entry("batch", "64"), Map.entry("replicas", "2"), Map.entry("checkpoint_every", "6"),
                Map.entry("log_every", "6"), Map.entry("normalization", "none"), Map.entry("seed", "11")));

        // one process, both streams, no Spark
        Path single = dir.resolve("single");
        TrainConfig one = cfg.with(Map.of("replicas", "1", "streams", "2"));
        TrainData data = TrainData.of(one);
        try (var source = data.open()) {
            new ReplicaTrainer(one, one.crosscoderConfig(data.dim(), null), source, AllReduce.single(), single, null, 1, -1).run();
        }

        Path clustered = dir.resolve("clustered");
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2)) {
            // As bin/dfc does on a cluster: the project's jars shipped by the driver (the workers have none of them);
            // one machine, so the store and --out are on a file system every node sees.
            SparkSession.Builder b = SparkSession.builder().master(cluster.masterUrl).appName("TrainOnClusterTest")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.executor.cores", "1").config("spark.cores.max", "2").config("spark.executor.memory", "700m")
                    .config(ClusterPaths.SHARED_FS, "true")
                    .config("spark.executorEnv.DJL_CACHE_DIR", ProjectPaths.root().resolve(".djl-cache").toString()); // libtorch extracted once
            // The test JVM's java.class.path is surefire's manifest-only jar: ship the build's class path, as bin/dfc's is.
            Path root = ProjectPaths.root();
            String classPath = String.join(java.io.File.pathSeparator, root.resolve("jobs/target/classes").toString(),
                    root.resolve("common/target/classes").toString(), Files.readString(root.resolve("jobs/target/classpath.txt")).trim());
            b.config("spark.jars", ShippedJars.forClassPath(classPath, dir.resolve("jars")));
            ClusterDefaults.forMaster(cluster.masterUrl, k -> k.equals("spark.executorEnv.DJL_CACHE_DIR") || k.equals("spark.jars")).forEach(b::config);
            SparkSession spark = b.getOrCreate();
            try {
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3 && System.nanoTime() < deadline) Thread.sleep(200);
                TrainJob.Outcome o = TrainJob.run(spark, cfg, clustered, false, new PrintStream(PrintStream.nullOutputStream()));
                assertEquals("", o.stopped());
                assertEquals(12, o.steps());
                assertTrue(o.bytesPerStep() > 4 * 2 * 128 * 64, "the gradients went through the all-reduce: " + o.bytesPerStep());
            } finally {
                spark.stop();
            }
        }
        DataParallelTrainingTest.assertSameParameters(Checkpoint.load(single), Checkpoint.load(clustered), 1e-5);
        assertEquals(TrainState.read(single).positions(), TrainState.read(clustered).positions());
        assertEquals(0.0, Checkpoint.load(clustered).verifyPartition());
    }
}
