package org.dfcspark.jobs.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.launcher.SparkLauncher;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.cluster.StandaloneCluster;
import org.dfcspark.jobs.harvest.HarvestFixture;
import org.dfcspark.testing.InjectedFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo experiment on a real Spark standalone cluster, submitted as the README's recipe submits it: a master and two
 * workers of one core and 1 GB each on 127.0.0.1, started from the Maven jars with a Spark installation that holds none of
 * this project's jars ({@link StandaloneCluster}); spark-submit through {@link SparkLauncher} with the application jar, the
 * dependency jars and {@code conf/spark-cpu-cluster.conf} (its per-executor sizes set to what these workers have). The
 * report and the tables are checked; then a second run (from a copy of the first one's harvest) loses a worker (SIGKILL)
 * while a sweep variant trains and still completes, on the remaining worker, with the same evaluation tables and sweep
 * summary.
 */
class ExperimentOnStandaloneClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The evaluation's tables (data-schemas/evaluation.md), compared row for row, exactly; and the sweep's summary, whose
     * metrics are compared to 9 significant digits: they differ in the 12th between two uninterrupted runs already
     * (dfc-k8's fvu 0.7611864058502257 vs 0.7611864058538487), while the evaluations of the crosscoders are identical.
     */
    private static final Map<String, Boolean> TABLES = Map.of("evaluation/fixed/generations", true,
            "evaluation/fixed/conditions", true, "evaluation/fixed/summary", true, "evaluation/fixed/features", true,
            "sweep/summary.parquet", false);
    /** Columns that measure the run, not its result (the sweep summary's speed and wall time). */
    private static final String[] TIMINGS = {"rows_per_s", "wall_s"};

    @TempDir
    static Path dir;

    @Test
    void theDemoExperimentSubmittedToAStandaloneClusterReportsAndSurvivesALostWorkerWithTheSameTables() throws Exception {
        Path config = ExperimentJobTest.tinyDemo(dir, "cluster");
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2)) {
            Path first = dir.resolve("first");
            Process run = submit(cluster, config, first, "", "first.log");
            assertTrue(run.waitFor(5, TimeUnit.MINUTES), "the first run did not finish:\n" + log("first.log"));
            assertEquals(0, run.exitValue(), log("first.log"));
            assertComplete(first, "first.log");
            String html = Files.readString(Stage.reportFile(first));
            assertTrue(html.contains("Paper vs ours") && html.contains("+31.1"), "the report of the run");
            assertEquals(1, executors(cluster.workDir(0)), "an executor on worker 0");
            assertEquals(1, executors(cluster.workDir(1)), "an executor on worker 1");

            // The second run starts from the first one's harvest (a copy; the experiment skips it as up to date), so that
            // its time goes to the stages the kill hits: losing a worker mid-harvest is HarvestOnStandaloneClusterTest's.
            Path second = dir.resolve("second");
            ExperimentJobTest.copyTree(first, second);
            for (Stage s : List.of(Stage.SWEEP, Stage.EVALUATE, Stage.REPORT)) org.dfcspark.io.AtomicOutput.deleteTree(s.dir(second));
            // Slow steps (an injected fault, part of no setting: 40 steps take >= 4 s) so that the kill lands midway through
            // training: once a sweep variant has written its first checkpoint (of 4), so that a training task is lost with
            // its executor and its retry on worker 1 resumes from that checkpoint.
            Process lossy = submit(cluster, config, second, "train.step-delay-ms=100", "second.log");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            boolean sweeping = false; // experiment.json says "complete" (the copy's) until this run starts the sweep
            while (lossy.isAlive() && System.nanoTime() < deadline) {
                boolean running = "running".equals(status(second, Stage.SWEEP));
                if (running && checkpointed(second) || sweeping && !running) break;
                sweeping |= running;
                Thread.sleep(50);
            }
            assertEquals("running", status(second, Stage.SWEEP), "the kill is not midway:\n" + log("second.log"));
            cluster.killWorker(0); // SIGKILL: its executor exits with it; its tasks are rerun on worker 1
            assertTrue(lossy.waitFor(5, TimeUnit.MINUTES), "the second run did not finish:\n" + log("second.log"));
            assertEquals(0, lossy.exitValue(), log("second.log"));
            assertComplete(second, "second.log");
            for (String line : List.of("harvest   skipped (up to date)", "sweep     ran", "evaluate  ran", "report    ran")) {
                assertTrue(log("second.log").contains(line), line + ":\n" + log("second.log"));
            }
            assertTrue(Files.isRegularFile(Stage.reportFile(second)));
            assertTrue(log("second.log").contains("Lost executor"), "an executor was lost:\n" + log("second.log"));
        } finally {
            keepLogs();
        }
        SparkSession spark = HarvestFixture.localSpark("ExperimentOnStandaloneClusterTest");
        try {
            for (Map.Entry<String, Boolean> t : TABLES.entrySet()) {
                List<String> a = rows(spark, dir.resolve("first"), t.getKey(), t.getValue());
                List<String> b = rows(spark, dir.resolve("second"), t.getKey(), t.getValue());
                assertFalse(a.isEmpty(), t.getKey());
                assertEquals(a, b, t.getKey() + ": the run that lost a worker has other rows");
            }
        } finally {
            spark.stop();
        }
    }

    /**
     * spark-submit … org.dfcspark.cli.Main experiment --config CONFIG --out OUT, in the project root, with {@code faults}
     * injected into the driver (org.dfcspark.testing.InjectedFaults; its tasks carry them to the executors).
     */
    private static Process submit(StandaloneCluster cluster, Path config, Path out, String faults, String log) throws IOException {
        Path root = ProjectPaths.root().toAbsolutePath();
        // The driver extracts libtorch into the build's DJL cache, as bin/dfc does (and so do the executors, below).
        SparkLauncher l = cluster.sparkSubmit(dir.resolve("jars"), Map.of("DJL_CACHE_DIR", root.resolve(".djl-cache").toString(),
                        "OMP_WAIT_POLICY", "PASSIVE"))
                .setPropertiesFile(root.resolve("conf/spark-cpu-cluster.conf").toString())
                // What one worker of this cluster has (the file's first keys, which the README says to edit).
                .setConf("spark.executor.cores", "1").setConf("spark.task.cpus", "1").setConf("spark.executor.memory", "1g")
                .setConf(SparkLauncher.DRIVER_MEMORY, "2g")
                .setConf(SparkLauncher.DRIVER_EXTRA_JAVA_OPTIONS, "-D" + InjectedFaults.PROPERTY + "=" + faults)
                .setConf("spark.ui.enabled", "false")
                // libtorch extracted once for the build instead of 445 MB per executor (ClusterDefaults' djl-cache in the
                // application's work dir is tested by HarvestOnStandaloneClusterTest's sibling ClusterSupportTest).
                .setConf("spark.executorEnv.DJL_CACHE_DIR", root.resolve(".djl-cache").toString())
                .directory(root.toFile())
                .redirectError().redirectOutput(dir.resolve(log).toFile())
                .addAppArgs("experiment", "--config", config.toString(), "--out", out.toString());
        return l.launch();
    }

    private static void assertComplete(Path out, String log) throws IOException {
        for (Stage s : Stage.values()) assertEquals("complete", status(out, s), s.id() + ":\n" + log(log));
    }

    /** A stage's status in OUT/experiment.json, null before it is there. */
    private static String status(Path out, Stage s) throws IOException {
        Path record = out.resolve("experiment.json");
        if (!Files.isRegularFile(record)) return null;
        JsonNode n;
        try {
            n = JSON.readTree(record.toFile());
        } catch (IOException e) {
            return null; // being replaced
        }
        JsonNode st = n.at("/stages/" + s.id() + "/status");
        return st.isMissingNode() ? null : st.asText();
    }

    /** True once a sweep variant has saved a training checkpoint. */
    private static boolean checkpointed(Path out) throws IOException {
        Path variants = out.resolve("sweep/variants");
        if (!Files.isDirectory(variants)) return false;
        try (Stream<Path> s = Files.list(variants)) {
            return s.anyMatch(v -> Files.isRegularFile(v.resolve(org.dfcspark.dfc.Checkpoint.STATE)));
        }
    }

    /**
     * A table's rows as text, sorted, with the run directory replaced by OUT (the crosscoder column names its checkpoint);
     * unless {@code exact}, doubles to 9 significant digits.
     */
    private static List<String> rows(SparkSession spark, Path out, String table, boolean exact) {
        List<Row> rows = spark.read().parquet(out.resolve(table).toString()).drop(TIMINGS).collectAsList();
        return rows.stream().map(r -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length(); i++) {
                Object v = r.get(i);
                sb.append(!exact && v instanceof Double d ? String.format(Locale.ROOT, "%.9g", d) : String.valueOf(v)).append('|');
            }
            return sb.toString().replace(out.toString(), "OUT");
        }).sorted().toList();
    }

    private static String log(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** The executors a worker has started so far (WORK_DIR/APP_ID/EXECUTOR_ID/). */
    private static long executors(Path workDir) throws IOException {
        if (!Files.isDirectory(workDir)) return 0;
        try (Stream<Path> s = Files.walk(workDir, 2)) {
            return s.filter(p -> workDir.relativize(p).getNameCount() == 2 && Files.isDirectory(p)).count();
        }
    }

    /** The driver's, master's, workers' and executors' logs for a failed CI run: jobs/target/experiment-cluster-logs. */
    private static void keepLogs() throws IOException {
        Path keep = ProjectPaths.root().resolve("jobs/target/experiment-cluster-logs");
        Files.createDirectories(keep);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".log") || p.getFileName().toString().equals("stderr")).toList()) {
                Files.copy(f, keep.resolve(dir.relativize(f).toString().replace('/', '_')), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
