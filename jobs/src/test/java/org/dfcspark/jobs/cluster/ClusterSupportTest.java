package org.dfcspark.jobs.cluster;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarFile;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces that make a job cluster-ready, each on its own (the end-to-end check: HarvestOnStandaloneClusterTest). */
class ClusterSupportTest {
    @TempDir Path tmp;

    /** Issue 15, item 2: relative --out on a cluster without a declared shared file system is refused; with one, resolved. */
    @Test
    void relativeOutIsRefusedOnAClusterAndResolvedWhenTheFileSystemIsShared() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterPaths.forExecutors("out/acts", "--out", "spark://h:7077", false));
        assertTrue(e.getMessage().startsWith("--out out/acts is a path on this machine (relative), but the executors of spark://h:7077"), e.getMessage());
        assertEquals(Path.of("out/acts").toAbsolutePath().normalize().toString(), ClusterPaths.forExecutors("out/acts", "--out", "spark://h:7077", true));
        assertEquals("hdfs://nn/acts", ClusterPaths.forExecutors("hdfs://nn/acts", "--out", "spark://h:7077", false));
        assertEquals(Path.of("x").toAbsolutePath().toString(), ClusterPaths.forExecutors("x", "--out", "local[2]", false), "local mode: resolved");
    }

    /** Issue 15, item 3: one place, one string: symbolic links, "..", file: URIs. */
    @Test
    void canonicalPathsNameThePlaceNotTheSpelling() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("models/rl"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("models"));
        String want = real.toRealPath().toString();
        assertEquals(want, ClusterPaths.canonical(link.resolve("rl").toString()));
        assertEquals(want, ClusterPaths.canonical(tmp.resolve("models/x/../rl").toString()));
        assertEquals(want, ClusterPaths.canonical(real.toUri().toString()));
        assertEquals(real.toRealPath().resolve("not-yet/out").toString(), ClusterPaths.canonical(link.resolve("rl/not-yet/out").toString()));
    }

    /** Issue 15, items 1 and 5: a cluster session ships the project (class directories packed as jars) and a DJL cache dir. */
    @Test
    void aClusterSessionShipsTheProjectAndKeepsLibtorchInTheWorkDir() throws Exception {
        Path classes = Files.createDirectories(tmp.resolve("mod/target/classes/org/x"));
        Files.writeString(classes.resolve("A.class"), "bytes");
        Path dep = Files.writeString(tmp.resolve("dep.jar"), "jar");
        Path spark = Files.createDirectories(tmp.resolve("repo/org/apache/spark/core")).resolve("spark-core.jar");
        Files.writeString(spark, "jar");
        String cp = String.join(java.io.File.pathSeparator, tmp.resolve("mod/target/classes").toString(), dep.toString(), spark.toString());
        String jars = ShippedJars.forClassPath(cp, tmp.resolve("work"));
        String[] list = jars.split(",");
        assertEquals(2, list.length, jars);
        try (JarFile j = new JarFile(list[0])) {
            assertNotNull(j.getEntry("org/x/A.class"));
        }
        assertEquals(dep.toAbsolutePath().toString(), list[1]);

        Map<String, String> add = ClusterDefaults.forMaster("spark://h:7077", k -> false);
        assertTrue(add.containsKey("spark.jars"));
        assertEquals("djl-cache", add.get("spark.executorEnv.DJL_CACHE_DIR"));
        assertEquals(Map.of(), ClusterDefaults.forMaster("local[2]", k -> false));
        assertFalse(ClusterDefaults.forMaster("spark://h:7077", k -> k.equals("spark.jars")).containsKey("spark.jars"), "spark-submit's jars kept");
    }

    /** Issue 15, item 4: the line a job that gets no executor prints. */
    @Test
    void aJobWithoutResourcesSaysWhatItAskedFor() {
        SparkConf c = new SparkConf(false).set("spark.master", "spark://h:7077").set("spark.executor.instances", "4")
                .set("spark.executor.cores", "8").set("spark.executor.memory", "48g").set("spark.executor.resource.gpu.amount", "1");
        String m = ResourceWatch.message(c, "2 alive worker(s): 2 free core(s) / 7000 MB, 2 free core(s) / 7000 MB");
        assertTrue(m.startsWith("dfc: no executor has started after a minute on spark://h:7077: this job asks for 4 executor(s) of 8 core(s), "
                + "48g memory and 1 gpu each; the cluster has 2 alive worker(s): 2 free core(s) / 7000 MB"), m);
        assertTrue(m.contains("conf/spark-cpu-cluster.conf"), m);
    }

    /** Failures a rerun cures say "run again to resume"; input and code errors say it will not help. */
    @Test
    void taskFailuresSayWhetherARerunHelps() throws Exception {
        SparkException lost = new SparkException("Job aborted due to stage failure: Task 3 in stage 2.0 failed 4 times, most recent failure: "
                + "Lost task 3.3 (executor 1): ExecutorLostFailure (executor 1 exited caused by one of the running tasks)\nmore lines");
        RuntimeException r = TaskFailure.report("harvest", lost, tmp.resolve("logs"), "finished shards are kept");
        assertTrue(r.getMessage().startsWith("harvest was interrupted (Job aborted due to stage failure: Task 3 in stage 2.0 failed 4 times"), r.getMessage());
        assertTrue(r.getMessage().contains("finished shards are kept, run the same command again to resume; stack trace in " + tmp.resolve("logs")), r.getMessage());

        SparkException bad = new SparkException("Job aborted", new TaskFailure.InTask("shard 2 (1 prompts, ids p7)",
                new ClassCastException("cannot assign instance of java.lang.invoke.SerializedLambda")));
        r = TaskFailure.report("harvest", bad, tmp.resolve("logs"), "finished shards are kept");
        assertTrue(r.getMessage().startsWith("harvest failed in a Spark task: shard 2 (1 prompts, ids p7): ClassCastException: cannot assign"), r.getMessage());
        assertTrue(r.getMessage().contains("Running again will not fix this"), r.getMessage());
        assertFalse(r.getMessage().contains("\n"));
    }
}
