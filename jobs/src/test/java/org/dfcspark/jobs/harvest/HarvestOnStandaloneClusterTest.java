package org.dfcspark.jobs.harvest;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.cluster.DfcProcess;
import org.dfcspark.jobs.cluster.StandaloneCluster;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.testing.InjectedFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harvest on a Spark standalone cluster (a master and two one-core workers on 127.0.0.1, whose Spark
 * installation has none of this project's jars), run as a user runs it: {@code bin/dfc harvest … --master spark://…}
 * as a child JVM. The driver ships the project's jars itself; relative paths are refused, or resolved when the
 * cluster declares a shared file system; a worker and then the driver killed mid-job end, after a rerun, with
 * exactly the rows of an uninterrupted local run.
 */
class HarvestOnStandaloneClusterTest {
    private static final List<Integer> LAYERS = List.of(0, 2);
    private static final int SHARDS = 6;

    @TempDir
    static Path dir;
    static SparkSession spark;
    static StandaloneCluster cluster;
    static Map<String, org.dfcspark.harvest.ActivationRow> reference;

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("HarvestOnStandaloneClusterTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        HarvestFixture.modelDir(dir, "A", 0, 0);
        HarvestFixture.modelDir(dir, "B", 0.05, 1);
        HarvestFixture.promptsTable(spark, dir, SHARDS);
        cluster = StandaloneCluster.start(dir.resolve("cluster"), 2);
        Path ref = dir.resolve("reference");
        List<String> absolute = flags(ref.toString());
        for (String f : List.of("A", "B", "prompts")) absolute.set(absolute.indexOf(f), dir.resolve(f).toString());
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(absolute.toArray(String[]::new), HarvestOptions.valuedFlags(),
                HarvestOptions.switchFlags())), line -> {});
        reference = HarvestFixture.rows(ref, "activations", LAYERS, ActivationCodec.F16, 64);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (cluster != null) cluster.close();
        // Keep the logs (driver, master, workers, executors' stderr) for a failed CI run: target/standalone-cluster-logs.
        Path keep = ProjectPaths.root().resolve("jobs/target/standalone-cluster-logs");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".log") || p.getFileName().toString().equals("stderr")).toList()) {
                Path to = keep.resolve(dir.relativize(f).toString().replace('/', '_'));
                Files.createDirectories(keep);
                Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        spark.stop();
    }

    /** Relative paths (the CLI runs in {@code dir}), as conf/harvest-example.conf has them. */
    private static List<String> flags(String out) {
        return new ArrayList<>(List.of("--model-a", "A", "--model-b", "B", "--prompts", "prompts", "--layers", "0,2", "--positions", "all",
                "--out", out, "--shard-size", "1", "--batch-size", "1", "--max-length", "96"));
    }

    private static Map<String, String> props(boolean shared) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("spark.master", cluster.masterUrl);
        p.put("spark.ui.enabled", "false");
        p.put("spark.task.maxFailures", "8");
        if (shared) p.put("spark.dfc.sharedFileSystem", "true");
        return p;
    }

    private static Process harvest(Map<String, String> props, List<String> flags, String log) throws IOException {
        List<String> args = new ArrayList<>(List.of("harvest"));
        args.addAll(flags);
        return DfcProcess.start(dir, props, args, dir.resolve(log));
    }

    private static String finish(Process p, String log) throws Exception {
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), "did not finish: " + log);
        return Files.readString(dir.resolve(log));
    }

    @Test
    void relativePathsAreRefusedOnAClusterWithoutASharedFileSystem() throws Exception {
        Process refused = harvest(props(false), flags("rel-out"), "refused.log");
        String log = finish(refused, "refused.log");
        assertEquals(1, refused.exitValue(), log);
        assertTrue(log.contains("dfc harvest: error: --model-a A is a path on this machine (relative), but the executors of " + cluster.masterUrl), log);
        assertFalse(log.contains("SparkContext"), "refused before Spark started:\n" + log);
        assertFalse(Files.exists(dir.resolve("rel-out")), "nothing written");
    }

    /**
     * Relative paths on a cluster that declares a shared file system: resolved on the driver. The executors get the
     * project's jars from the driver. A worker, then the driver, SIGKILLed mid-job; the rerun (absolute paths this
     * time: the same places) resumes and ends with exactly the rows of an uninterrupted local run.
     */
    @Test
    void aWorkerKilledAndThenTheDriverKilledMidJobStillEndWithExactlyTheRowsOfAnUninterruptedRun() throws Exception {
        Path out = dir.resolve("faults");
        Map<String, String> props = props(true);
        // libtorch extracted once for the build (by default each executor extracts it into its dir in the application's
        // work dir: ClusterDefaultsTest); 445 MB per executor would only slow this test down.
        props.put("spark.executorEnv.DJL_CACHE_DIR", ProjectPaths.root().resolve(".djl-cache").toString());
        Map<String, String> slow = new java.util.HashMap<>(props);
        slow.put(InjectedFaults.PROPERTY, "harvest.batch-delay-ms=1500");
        Process first = harvest(slow, flags("faults"), "faults-first.log");
        waitForMarkers(out, 1, first, "faults-first.log");
        cluster.killWorker(0); // SIGKILL: its executor exits with it; its running task is rerun on the other worker
        waitForMarkers(out, 3, first, "faults-first.log");
        assertTrue(first.isAlive(), "ended before the driver could be killed:\n" + Files.readString(dir.resolve("faults-first.log")));
        first.destroyForcibly().waitFor(); // SIGKILL the driver
        assertFalse(Files.exists(out.resolve("manifest.json")));
        String settings = Files.readString(out.resolve("_harvest/settings.json"));
        assertTrue(settings.contains(dir.toRealPath().resolve("A").toString()), "absolute, canonical paths recorded: " + settings);

        List<String> absolute = flags(out.toString());
        for (String f : List.of("A", "B", "prompts")) absolute.set(absolute.indexOf(f), dir.resolve(f).toString());
        Process second = harvest(props, absolute, "faults-second.log");
        String log = finish(second, "faults-second.log");
        assertEquals(0, second.exitValue(), log);
        assertTrue(log.contains("harvest: resuming the harvest in "), log);
        HarvestJobTest.assertSameRows(reference, HarvestFixture.rows(out, "activations", LAYERS, ActivationCodec.F16, 64));
        HarvestJobTest.assertValid(out);
        // Readable by the other users of a shared file system.
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("manifest.json"))));
        try (Stream<Path> s = Files.walk(out.resolve("activations"))) {
            for (Path f : s.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    private static void waitForMarkers(Path out, int n, Process p, String log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (markers(out) < n && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(markers(out) >= n, "fewer than " + n + " shards done:\n" + Files.readString(dir.resolve(log)));
    }

    private static long markers(Path out) throws IOException {
        Path done = out.resolve("_harvest/done");
        if (!Files.isDirectory(done)) return 0;
        try (Stream<Path> s = Files.list(done)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
        }
    }
}
