package org.dfcspark.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.cluster.DfcProcess;
import org.dfcspark.jobs.cluster.StandaloneCluster;
import org.dfcspark.jobs.harvest.HarvestFixture;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.WithFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc sweep} on a store harvested here from the shipped organism (A = rl, B = base; layers 1 and 2, every
 * position of 12 tool prompts): 4 variants (CC and DFC × k 4 and 8, the organism recipe, 40 steps) × 2 hooks.
 */
class SweepJobTest {
    static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path store, first;
    static SweepGrid grid;
    static SweepJob.Outcome firstRun;

    /** The test grid, as a user would write it, over conf/train/organism.conf. */
    static String gridFile() throws Exception {
        Path f = dir.resolve("grid.conf");
        if (!Files.exists(f)) {
            Files.writeString(f, "include file(\"" + ProjectPaths.root().resolve("conf/train/organism.conf") + "\")\n"
                    + "train { dict_size = 128, steps = 40, batch = 32, checkpoint_every = 10, log_every = 10, decay_start = 0.8 }\n"
                    + "sweep {\n  name = \"{family}-k{k}\"\n  hooks = [blocks.1.hook_resid_post, blocks.2.hook_resid_post]\n"
                    + "  eval_rows = 512\n  axes {\n    k = [4, 8]\n"
                    + "    variant = [{family = cc, excl_a = 0, excl_b = 0, l1_excl = 0}, {family = dfc, excl_a = 0.1, excl_b = 0.1}]\n  }\n}\n");
        }
        return f.toString();
    }

    @BeforeAll
    static void harvestAndSweep() throws Exception {
        spark = HarvestFixture.localSpark("SweepJobTest");
        Path organism = ProjectPaths.data("organism");
        List<Row> rows = new ArrayList<>();
        for (PromptRecord r : PromptsTable.readLocal(spark, organism.resolve("prompts/tool-train.parquet").toString(), 12)) rows.add(PromptsTable.toRow(r));
        Path prompts = dir.resolve("prompts");
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(prompts.toString());
        store = dir.resolve("store");
        String[] flags = {"--model-a", organism.resolve("rl").toString(), "--model-b", organism.resolve("base").toString(), "--prompts", prompts.toString(),
                "--layers", "1,2", "--positions", "all", "--dtype", "f16", "--out", store.toString(), "--batch-size", "6", "--shard-size", "2"};
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(flags, HarvestOptions.valuedFlags(), HarvestOptions.switchFlags())), line -> {});
        grid = SweepGrid.fromFile(gridFile()).with(Map.of("store", store.toString()));
        first = dir.resolve("sweep");
        firstRun = SweepJob.run(spark, grid, first, Set.of(), false, 1, QUIET);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void everyVariantAtEveryHookIsTrainedAndSummarised() throws Exception {
        assertEquals(new SweepJob.Outcome(8, 8, 0, 8, 0, 0, firstRun.seconds(), first.resolve("summary.parquet")), firstRun);
        for (Variant v : grid.variants()) {
            Path ckpt = first.resolve("variants").resolve(v.name()).resolve(v.hook());
            assertTrue(TrainState.read(ckpt).finished(), ckpt.toString());
            assertEquals(40, TrainState.read(ckpt).step());
            assertEquals(v.config().k(), Checkpoint.load(ckpt).config().k());
        }
        var summary = spark.read().parquet(first.resolve("summary.parquet").toString());
        assertEquals(DataTypes.IntegerType, summary.schema().apply("k").dataType());
        assertEquals(DataTypes.DoubleType, summary.schema().apply("excl_a").dataType());
        assertEquals(DataTypes.StringType, summary.schema().apply("family").dataType());
        List<Row> rows = summary.orderBy("hook", "name").collectAsList();
        assertEquals(8, rows.size());
        for (Row r : rows) {
            assertEquals("finished", r.getAs("status"));
            assertNull(r.getAs("reason"));
            assertEquals(40L, (long) r.getAs("steps"));
            double fvuA = r.getAs("fvu_a"), fvuB = r.getAs("fvu_b"), l0 = r.getAs("l0");
            assertTrue(fvuA > 0 && fvuA < 1 && fvuB > 0 && fvuB < 1, "FVU " + fvuA + " / " + fvuB);
            assertTrue(l0 > 0 && l0 <= (int) r.getAs("k") + 1e-9, "L0 " + l0); // TopK: at most k active
            assertTrue((boolean) r.getAs("exclusive_ok"));
            double shares = 0;
            for (String p : new String[] {"normalization", "decoder_bias", "shared", "a_exclusive", "b_exclusive", "error"}) shares += (double) r.getAs("share_" + p);
            assertEquals(1.0, shares, 1e-6, "the parts carry the whole mean difference");
            if ("cc".equals(r.getAs("family"))) {
                assertEquals(0.0, (double) r.getAs("share_a_exclusive"));
                assertEquals(0.0, (double) r.getAs("share_b_exclusive"));
            }
        }
        List<String> csv = Files.readAllLines(first.resolve("summary.csv"));
        assertEquals(9, csv.size());
        assertTrue(csv.get(0).startsWith("name,hook,k,excl_a,excl_b,l1_excl,family,status,reason,steps,fvu_a"), csv.get(0));
    }

    @Test
    void aRerunIsANoOp() throws Exception {
        Map<String, Long> before = modified(first);
        SweepJob.Outcome again = SweepJob.run(spark, grid, first, Set.of(), false, 1, QUIET);
        assertEquals(0, again.ran());
        assertEquals(8, again.alreadyDone());
        assertEquals(8, again.finished());
        assertEquals(before, modified(first));
    }

    @Test
    void lockstepTrainsWhatOneVariantPerReadTrains() throws Exception {
        Path separate = dir.resolve("separate");
        SweepJob.Outcome o = SweepJob.run(spark, grid.with(Map.of("sweep.lockstep", "false")), separate, Set.of("dfc-k8", "cc-k4"), false, 1, QUIET);
        assertEquals(4, o.variants());
        assertEquals(4, o.finished());
        for (String name : List.of("dfc-k8", "cc-k4")) {
            for (String hook : List.of("blocks.1.hook_resid_post", "blocks.2.hook_resid_post")) {
                assertSameParameters(Checkpoint.load(first.resolve("variants").resolve(name).resolve(hook)),
                        Checkpoint.load(separate.resolve("variants").resolve(name).resolve(hook)));
            }
        }
        List<Row> rows = spark.read().parquet(separate.resolve("summary.parquet").toString()).where("status = 'pending'").collectAsList();
        assertEquals(4, rows.size(), "the variants not selected by --only are listed as pending");

        // one hook on local[2]: one task whose two threads each take the next learner; the same parameters again
        Path oneHookGrid = dir.resolve("one-hook.conf");
        Files.writeString(oneHookGrid, Files.readString(Path.of(gridFile()))
                .replace("hooks = [blocks.1.hook_resid_post, blocks.2.hook_resid_post]", "hooks = [blocks.2.hook_resid_post]"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SweepJob.Outcome together = SweepJob.run(spark, SweepGrid.fromFile(oneHookGrid.toString()).with(Map.of("store", store.toString())),
                dir.resolve("one-hook"), Set.of("dfc-k8", "cc-k4"), false, 1, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(2, together.finished());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("2 to train in 1 task(s) (lockstep)"), log.toString(StandardCharsets.UTF_8));
        for (String name : List.of("dfc-k8", "cc-k4")) {
            assertSameParameters(Checkpoint.load(separate.resolve("variants").resolve(name).resolve("blocks.2.hook_resid_post")),
                    Checkpoint.load(dir.resolve("one-hook").resolve("variants").resolve(name)));
        }
    }

    @Test
    void aFailingOrDivergingVariantDoesNotStopTheOthersAndARerunRetriesTheFailure() throws Exception {
        Path f = dir.resolve("faulty.conf");
        Files.writeString(f, Files.readString(Path.of(gridFile())).replace("{family = dfc, excl_a = 0.1, excl_b = 0.1}",
                "{family = dfc, excl_a = 0.1, excl_b = 0.1}, {family = boom}, {family = nan, lr = 1e30, clip = 0}")
                .replace("hooks = [blocks.1.hook_resid_post, blocks.2.hook_resid_post]", "hooks = [blocks.2.hook_resid_post]"));
        SweepGrid faulty = SweepGrid.fromFile(f.toString()).with(Map.of("store", store.toString()));
        Path out = dir.resolve("faulty");
        // the boom variants throw once at step 15
        SweepJob.Outcome o = WithFaults.run("train.fail-at-step=15,train.fail-only=boom-*", () -> SweepJob.run(spark, faulty, out, Set.of(), false, 1, QUIET));
        assertEquals(8, o.variants());
        assertEquals(4, o.finished());
        assertEquals(2, o.diverged());
        assertEquals(2, o.failed());
        Map<String, Row> byName = new HashMap<>();
        for (Row r : spark.read().parquet(out.resolve("summary.parquet").toString()).collectAsList()) byName.put(r.getAs("name"), r);
        assertEquals("failed", byName.get("boom-k4").getAs("status"));
        assertTrue(((String) byName.get("boom-k4").getAs("reason")).contains("injected failure at step 15"));
        assertEquals("diverged", byName.get("nan-k8").getAs("status"));
        assertTrue(((String) byName.get("nan-k8").getAs("reason")).contains("diverged"), (String) byName.get("nan-k8").getAs("reason"));
        assertEquals("finished", byName.get("dfc-k8").getAs("status"));

        SweepJob.Outcome again = SweepJob.run(spark, faulty, out, Set.of(), false, 1, QUIET);
        assertEquals(2, again.ran(), "only the failed variants run again");
        assertEquals(6, again.finished());
        assertEquals(2, again.diverged());
        assertEquals(0, again.failed());
        // The retried variant resumed from its last checkpoint and ended where an uninterrupted run ends (the grid's
        // dfc-k4 at blocks.2 has the same settings).
        assertSameParameters(Checkpoint.load(first.resolve("variants/dfc-k4/blocks.2.hook_resid_post")),
                Checkpoint.load(out.resolve("variants/boom-k4")));
        // the same holds for the others, trained in lockstep beside failing and diverging neighbours
        assertSameParameters(Checkpoint.load(first.resolve("variants/dfc-k8/blocks.2.hook_resid_post")), Checkpoint.load(out.resolve("variants/dfc-k8")));
    }

    @Test
    void aKilledSweepRestartedEndsWithTheCheckpointsOfAnUninterruptedOne() throws Exception {
        Path out = dir.resolve("killed");
        List<String> flags = new ArrayList<>(List.of("sweep", "--config", gridFile(), "--store", store.toString(), "--out", out.toString()));
        DfcProcess.killOnceTrainedTo(dir, flags, 40, out.resolve("variants/dfc-k8/blocks.2.hook_resid_post"), 20, dir.resolve("killed-first.log"));
        assertFalse(Files.exists(out.resolve("summary.parquet")));

        String log = DfcProcess.runToSuccess(dir, flags, dir.resolve("killed-second.log"));
        assertTrue(log.contains("sweep: 8 finished, 0 diverged, 0 failed of 8"), log);
        for (Variant v : grid.variants()) {
            Path a = first.resolve("variants").resolve(v.name()).resolve(v.hook()), b = out.resolve("variants").resolve(v.name()).resolve(v.hook());
            assertSameParameters(Checkpoint.load(a), Checkpoint.load(b));
            assertEquals(TrainState.read(a).positions(), TrainState.read(b).positions());
        }
    }

    /**
     * The same sweep submitted as a user would to a Spark standalone cluster (a master and two one-core workers started
     * here from the Maven jars, with none of the project's jars: bin/dfc ships them): the two lockstep tasks run in two
     * executor JVMs and write the checkpoints the local run wrote.
     */
    @Test
    void onAStandaloneClusterTheSweepTrainsWhatLocalModeTrains() throws Exception {
        Path out = dir.resolve("clustered");
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2)) {
            Map<String, String> props = Map.of("spark.master", cluster.masterUrl, "spark.ui.enabled", "false", ClusterPaths.SHARED_FS, "true",
                    "spark.executor.memory", "700m");
            Process p = DfcProcess.start(dir, props, List.of("sweep", "--config", gridFile(), "--store", store.toString(), "--out", out.toString()),
                    dir.resolve("cluster-sweep.log"));
            assertTrue(p.waitFor(4, TimeUnit.MINUTES), "the sweep on the cluster did not finish");
            String log = Files.readString(dir.resolve("cluster-sweep.log"));
            assertEquals(0, p.exitValue(), log);
            assertTrue(log.contains("on " + cluster.masterUrl), log);
        }
        for (Variant v : grid.variants()) {
            assertSameParameters(Checkpoint.load(first.resolve("variants").resolve(v.name()).resolve(v.hook())),
                    Checkpoint.load(out.resolve("variants").resolve(v.name()).resolve(v.hook())));
        }
        assertEquals(8, spark.read().parquet(out.resolve("summary.parquet").toString()).where("status = 'finished'").count());
    }

    /** A variant with replicas = 2 runs as its own data-parallel stage and trains what one replica with two streams trains. */
    @Test
    void aDataParallelVariantRunsAsItsOwnStage() throws Exception {
        Set<String> one = Set.of("dfc-k8");
        SweepJob.Outcome two = SweepJob.run(spark, grid.with(Map.of("replicas", "2")), dir.resolve("replicas2"), one, false, 1, QUIET);
        SweepJob.Outcome single = SweepJob.run(spark, grid.with(Map.of("streams", "2")), dir.resolve("streams2"), one, false, 1, QUIET);
        assertEquals(2, two.finished());
        assertEquals(2, single.finished());
        for (String hook : List.of("blocks.1.hook_resid_post", "blocks.2.hook_resid_post")) {
            Path a = dir.resolve("replicas2/variants/dfc-k8").resolve(hook), b = dir.resolve("streams2/variants/dfc-k8").resolve(hook);
            assertEquals(2, Checkpoint.load(a).config().provenance().get("replicas"));
            assertSameParameters(Checkpoint.load(b), Checkpoint.load(a));
        }
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        Path out = dir.resolve("dry");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        SweepJob.Outcome o = SweepJob.run(spark, grid, out, Set.of(), true, 1, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(8, o.variants());
        assertFalse(Files.exists(out));
        assertTrue(text.contains("dfc-k8") && text.contains("blocks.2.hook_resid_post"), text);
        assertTrue(text.contains("plan: 2 task(s) of [4, 4] variant(s) in lockstep"), text);
        assertTrue(text.contains("estimated"), text);
    }

    @Test
    void badInputIsRefusedBeforeAnyWork() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepJob.run(spark, grid, dir.resolve("x"), Set.of("dfc-k99"), false, 1, QUIET));
        assertTrue(e.getMessage().contains("no variant named 'dfc-k99'"), e.getMessage());
        // a changed recipe over an existing sweep: refused, nothing touched
        Map<String, Long> before = modified(first);
        e = assertThrows(IllegalArgumentException.class, () -> SweepJob.run(spark, grid.with(Map.of("lr", "0.01")), first, Set.of(), false, 1, QUIET));
        assertTrue(e.getMessage().contains("trained with other settings (lr 0.001 -> 0.01)"), e.getMessage());
        assertEquals(before, modified(first));
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        e = assertThrows(IllegalArgumentException.class, () -> SweepJob.run(spark, grid, foreign, Set.of(), false, 1, QUIET));
        assertTrue(e.getMessage().contains("holds no sweep"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SweepJob.run(spark,
                SweepGrid.fromConfig(ConfigFactory.parseString("sweep { hooks = [blocks.7.hook_resid_post] }"), "t").with(Map.of("store", store.toString())),
                dir.resolve("y"), Set.of(), false, 1, QUIET));
        assertTrue(e.getMessage().contains("blocks.7"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("y")));
    }

    static Map<String, Long> modified(Path root) throws Exception {
        Map<String, Long> m = new HashMap<>();
        try (var s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("summary")).toList()) {
                m.put(root.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }

    static void assertSameParameters(Crosscoder x, Crosscoder y) {
        float[][] a = x.parameterArrays(), b = y.parameterArrays();
        for (int t = 0; t < a.length; t++) org.junit.jupiter.api.Assertions.assertArrayEquals(a[t], b[t], 0f, "parameter array " + t);
    }
}
