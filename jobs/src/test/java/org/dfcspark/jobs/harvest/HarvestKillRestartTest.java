package org.dfcspark.jobs.harvest;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.jobs.cluster.DfcProcess;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.testing.InjectedFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A harvest whose driver is killed (SIGKILL, as an OOM killer or a lost node would) and then restarted ends with
 * exactly the rows of an uninterrupted run: the CLI runs as a separate JVM, exactly as bin/dfc starts it.
 */
class HarvestKillRestartTest {
    private static final List<Integer> LAYERS = List.of(0, 2);

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path modelA;
    static Path modelB;
    static Path prompts;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("HarvestKillRestartTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        modelA = HarvestFixture.modelDir(dir, "A", 0, 0);
        modelB = HarvestFixture.modelDir(dir, "B", 0.05, 1);
        prompts = HarvestFixture.promptsTable(spark, dir, 8);
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    private static List<String> flags(Path out) {
        return List.of("--model-a", modelA.toString(), "--model-b", modelB.toString(), "--prompts", prompts.toString(),
                "--layers", "0,2", "--positions", "all", "--out", out.toString(), "--shard-size", "1", "--batch-size", "1",
                "--max-length", "96");
    }

    /** {@code bin/dfc harvest ...} as a child JVM in local mode. */
    private static Process cli(List<String> harvestFlags, Path log) throws IOException {
        return cli(harvestFlags, "", log);
    }

    /** With {@code faults} injected (org.dfcspark.testing.InjectedFaults). */
    private static Process cli(List<String> harvestFlags, String faults, Path log) throws IOException {
        List<String> args = new ArrayList<>(List.of("harvest"));
        args.addAll(harvestFlags);
        return DfcProcess.start(dir, java.util.Map.of("spark.master", "local[2]", InjectedFaults.PROPERTY, faults), args, log);
    }

    private static long markers(Path out) throws IOException {
        Path done = out.resolve("_harvest/done");
        if (!Files.isDirectory(done)) return 0;
        try (Stream<Path> s = Files.list(done)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
        }
    }

    @Test
    void aKilledDriverRestartedGivesExactlyTheRowsOfAnUninterruptedRun() throws Exception {
        Path reference = dir.resolve("reference");
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(flags(reference).toArray(String[]::new),
                HarvestOptions.valuedFlags(), HarvestOptions.switchFlags())), line -> {});
        int shards = 8;

        Path out = dir.resolve("killed");
        Process first = cli(flags(out), "harvest.batch-delay-ms=1500", dir.resolve("first.log"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (markers(out) < 2 && first.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(first.isAlive(), "the first run ended before it could be killed:\n" + Files.readString(dir.resolve("first.log")));
        first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no cleanup
        long doneBefore = markers(out);
        assertTrue(doneBefore >= 2 && doneBefore < shards, "killed midway: " + doneBefore + " of " + shards + " shards done");
        assertFalse(Files.exists(out.resolve("manifest.json")));

        Process second = cli(flags(out), dir.resolve("second.log"));
        assertTrue(second.waitFor(4, TimeUnit.MINUTES), "restart did not finish");
        String log = Files.readString(dir.resolve("second.log"));
        assertEquals(0, second.exitValue(), log);
        assertTrue(log.contains("harvest: resuming the harvest in "), log);
        assertTrue(log.contains("harvest: " + doneBefore + " of " + shards + " shards already done; running " + (shards - doneBefore)), log);

        HarvestJobTest.assertValid(out);
        HarvestJobTest.assertSameRows(HarvestFixture.rows(reference, "activations", LAYERS, ActivationCodec.F16, 64),
                HarvestFixture.rows(out, "activations", LAYERS, ActivationCodec.F16, 64));
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temporary files left");
        }

    }
}
