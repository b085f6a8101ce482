package org.dfcspark.jobs.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.cluster.DfcProcess;
import org.dfcspark.jobs.harvest.HarvestFixture;
import org.dfcspark.jobs.report.Notebooks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc experiment} on conf/experiments/demo.conf made tiny (16 + 16 training prompts, 2 crosscoders of 64
 * features and 40 steps, 2 evaluation prompts of 8 new tokens), with the real stage jobs on Spark local[2].
 */
class ExperimentJobTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path first;
    static ExperimentJob.Outcome firstRun;

    /** demo.conf with tiny sizes and absolute paths; {@code extra} HOCON lines override more. */
    static Path config(String name, String... extra) throws IOException {
        return tinyDemo(dir, name, extra);
    }

    /** {@link #config} written to {@code dir/NAME.conf} (also for the tests that submit the experiment to a cluster). */
    static Path tinyDemo(Path dir, String name, String... extra) throws IOException {
        Path root = ProjectPaths.root(), org = ProjectPaths.data("organism");
        String text = "include file(\"" + root.resolve("conf/experiments/demo.conf") + "\")\n"
                + "model_a = \"" + org.resolve("rl") + "\"\nmodel_b = \"" + org.resolve("base") + "\"\n"
                + "training_prompts { tool = \"" + org.resolve("prompts/tool-train.parquet") + "\", generic = \""
                + org.resolve("prompts/generic-train.parquet") + "\", limit = 16 }\n"
                + "harvest { shard-size = 16 }\n"
                + "sweep.train { dict_size = 64, steps = 40, checkpoint_every = 10, log_every = 10 }\n"
                + "sweep.sweep { eval_rows = 32, axes.k = [8] }\n"
                + "evaluate { prompts = \"" + org.resolve("prompts/tool-test.parquet") + "\", limit = 2, max_new_tokens = 8, shard_size = 2 }\n"
                + String.join("\n", extra) + "\n";
        Path f = dir.resolve(name + ".conf");
        Files.writeString(f, text);
        return f;
    }

    static ExperimentJob.Outcome run(Path config, Path out, Stage until, boolean dryRun, ByteArrayOutputStream log) throws Exception {
        try (PrintStream p = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            return ExperimentJob.run(ExperimentConfig.fromFile(config.toString()), out, until, dryRun, () -> spark, p);
        }
    }

    @BeforeAll
    static void firstRun() throws Exception {
        spark = HarvestFixture.localSpark("ExperimentJobTest");
        first = dir.resolve("first");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        firstRun = run(config("tiny"), first, Stage.REPORT, false, log);
        System.err.print(log.toString(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void theDemoExperimentRunsEveryStageAndARerunChangesNothing() throws Exception {
        for (Stage s : Stage.values()) assertEquals("ran", firstRun.stage(s).action(), s.id());
        String html = Files.readString(Stage.reportFile(first));
        assertTrue(html.contains("Paper vs ours") && html.contains("+31.1"), "the report of the run");
        assertTrue(Files.isRegularFile(first.resolve("harvest/manifest.json")));
        assertEquals(32, spark.read().parquet(first.resolve("harvest-prompts").toString()).count(), "16 tool + 16 generic prompts");
        List<Row> summary = spark.read().parquet(first.resolve("sweep/summary.parquet").toString()).collectAsList();
        assertEquals(2, summary.size());
        for (Row r : summary) assertEquals("finished", r.getAs("status"));
        assertTrue(spark.read().parquet(first.resolve("evaluation/fixed/conditions").toString()).count() > 0);
        JsonNode record = JSON.readTree(first.resolve("experiment.json").toFile());
        assertEquals(16, record.at("/config/training_prompts/limit").asInt(), "the resolved config is recorded");
        for (Stage s : Stage.values()) {
            assertEquals("complete", record.at("/stages/" + s.id() + "/status").asText());
            assertEquals(firstRun.stage(s).fingerprint(), record.at("/stages/" + s.id() + "/fingerprint").asText());
            assertTrue(record.at("/stages/" + s.id() + "/wall_s").asDouble() > 0);
        }

        Map<String, String> before = snapshot(first);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ExperimentJob.Outcome again = run(config("tiny"), first, Stage.REPORT, false, log);
        for (Stage s : Stage.values()) assertEquals("skipped (up to date)", again.stage(s).action(), s.id());
        assertEquals(before, snapshot(first), "a rerun writes nothing:\n" + log);
    }

    /** The notebooks find an experiment's stages (evaluation/PROTOCOL/, sweep/, harvest/, report/tables/) and run. */
    @Test
    void theNotebooksRunOnAnExperimentsRunDirectory() throws Exception {
        Notebooks.requireOrSkip(Notebooks.onPath("python3"), "no python3");
        Notebooks.runAll(first, dir.resolve("notebooks-executed"));
    }

    @Test
    void aChangedEvaluationSettingRerunsOnlyTheEvaluationAndSaysWhy() throws Exception {
        Path out = dir.resolve("changed");
        copyTree(first, out);
        Map<String, String> harvestAndSweep = snapshot(out, "harvest", "harvest-prompts", "sweep");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ExperimentJob.Outcome o = run(config("changed", "evaluate.max_new_tokens = 6"), out, Stage.REPORT, false, log);
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals("skipped (up to date)", o.stage(Stage.HARVEST).action());
        assertEquals("skipped (up to date)", o.stage(Stage.SWEEP).action());
        assertEquals("ran", o.stage(Stage.EVALUATE).action(), text);
        assertEquals("ran", o.stage(Stage.REPORT).action(), "the report follows its evaluation");
        assertTrue(text.contains("experiment: evaluate: running (settings changed: protocols.fixed.max_new_tokens: 8 -> 6)"), text);
        assertTrue(text.contains("moved the previous output (complete"), text);
        assertEquals(harvestAndSweep, snapshot(out, "harvest", "harvest-prompts", "sweep"), "harvest and sweep untouched");
        try (Stream<Path> stale = Files.list(out.resolve("stale"))) {
            List<Path> moved = stale.sorted().toList();
            assertEquals(List.of("evaluate-", "report-"), moved.stream().map(p -> p.getFileName().toString().replaceAll("-.*", "-")).toList());
            assertTrue(Files.isDirectory(moved.get(0).resolve("evaluation/fixed/conditions")), "the old evaluation is kept, not deleted");
        }
        for (Row r : spark.read().parquet(out.resolve("evaluation/fixed/generations").toString()).collectAsList()) {
            assertTrue(r.getList(r.fieldIndex("generated_ids")).size() <= 6);
        }
    }

    @Test
    void aDryRunPrintsEveryStagesPlanAndCostAndWritesNothing() throws Exception {
        Path fresh = dir.resolve("dry");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        run(config("tiny"), fresh, Stage.REPORT, true, log);
        String text = log.toString(StandardCharsets.UTF_8);
        assertFalse(Files.exists(fresh), "nothing written:\n" + text);
        for (String stage : List.of("harvest", "sweep", "evaluate")) assertTrue(text.contains("experiment: " + stage + ": would run (not run yet)"), text);
        assertTrue(text.contains("32 prompts x 2 models up to layer 2"), text);
        assertTrue(text.contains("2 variant(s) x hook(s), training"), text);
        assertTrue(java.util.regex.Pattern.compile("fixed: 2 crosscoder\\(s\\) x 2 prompts \\(\\d+-\\d+ tokens as the protocol renders them\\) x \\d+ "
                + "conditions = \\d+ generations of <= 8 tokens: <= [0-9.]+ GFLOP, of which feature ranking [0-9.]+ GFLOP").matcher(text).find(), text);
        assertTrue(text.contains("GPU-hours"), text);
        // the paper's raw prompts are beyond the organism's context: the dry run says the evaluation would be refused
        ByteArrayOutputStream paper = new ByteArrayOutputStream();
        run(config("paper-dry", "evaluate.protocols = [paper]"), fresh, Stage.EVALUATE, true, paper);
        String p = paper.toString(StandardCharsets.UTF_8);
        assertTrue(p.contains("paper: cost unknown (the evaluation's preflight would stop: ") && p.contains("beyond_context"), p);
        assertFalse(Files.exists(fresh));
        ByteArrayOutputStream until = new ByteArrayOutputStream();
        ExperimentJob.Outcome o = run(config("tiny"), fresh, Stage.SWEEP, true, until);
        assertEquals(List.of(Stage.HARVEST, Stage.SWEEP), o.stages().stream().map(ExperimentJob.StageResult::stage).toList(), "--until sweep");
        assertFalse(until.toString(StandardCharsets.UTF_8).contains("experiment: evaluate"));
        assertFalse(Files.exists(fresh));

        Map<String, String> before = snapshot(first);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        run(config("changed-dry", "sweep.train.steps = 50", "evaluate.max_new_tokens = 6"), first, Stage.REPORT, true, again);
        String t2 = again.toString(StandardCharsets.UTF_8);
        assertTrue(t2.contains("experiment: harvest: up to date"), t2);
        assertTrue(t2.contains("experiment: sweep: would run (settings changed: variants[cc-k8@blocks.2.hook_resid_post].train.steps: 40 -> 50"), t2);
        assertTrue(t2.contains("its previous output would be moved to " + first.resolve("stale")), t2);
        assertTrue(t2.contains("experiment: evaluate: would run (settings changed: protocols.fixed.max_new_tokens: 8 -> 6)"), t2);
        assertTrue(t2.contains("sweep (dry run): 2 variant(s)"), "the sweep's own dry run on the existing store:\n" + t2);
        assertEquals(before, snapshot(first), "a dry run writes nothing");
    }

    @Test
    void aKilledExperimentRestartsWhereItStoppedAndEndsWithTheTablesOfAnUninterruptedRun() throws Exception {
        // The first run's harvest, with its sweep and evaluation deleted (the experiment redoes a stage whose output is
        // gone); this spares the child JVMs the harvest, the slowest stage here.
        Path out = dir.resolve("killed");
        copyTree(first, out);
        for (String gone : List.of("sweep", "evaluation")) org.dfcspark.io.AtomicOutput.deleteTree(out.resolve(gone));
        // slow steps (an injected fault, part of no setting) so the sweep can be caught and killed midway
        List<String> args = List.of("experiment", "--config", config("slow").toString(), "--out", out.toString(), "--until", "evaluate");
        DfcProcess.killOnceTrainedTo(dir, args, 150, out.resolve("sweep/variants/dfc-k8"), 10, dir.resolve("killed-first.log"));
        assertEquals("running", JSON.readTree(out.resolve("experiment.json").toFile()).at("/stages/sweep/status").asText());

        String log = DfcProcess.runToSuccess(dir, args, dir.resolve("killed-second.log"));
        assertTrue(log.contains("experiment: harvest: up to date"), log);
        assertTrue(log.contains("experiment: sweep: running (resuming: the last run stopped during this stage)"), log);
        assertTrue(log.contains("experiment: evaluate: running (its output is incomplete)"), log);
        assertFalse(log.contains("moved the previous output"), log);

        String metrics = "name, hook, status, steps, fvu_a, fvu_b, l0, dead_share, max_forbidden, share_shared, share_a_exclusive, share_b_exclusive";
        assertEquals(rows(first.resolve("sweep/summary.parquet"), metrics), rows(out.resolve("sweep/summary.parquet"), metrics));
        assertEquals(rows(first.resolve("evaluation/fixed/generations"), "crosscoder, condition_key, prompt_index, text"),
                rows(out.resolve("evaluation/fixed/generations"), "crosscoder, condition_key, prompt_index, text"));
        assertEquals(rows(first.resolve("evaluation/fixed/conditions"), "*"), rows(out.resolve("evaluation/fixed/conditions"), "*"));
    }

    static List<String> rows(Path table, String columns) {
        return spark.read().parquet(table.toString()).selectExpr(columns.split(",\\s*")).collectAsList().stream().map(Row::toString).sorted().toList();
    }

    /** Every file under {@code root} (or its named children) with its size, modification time and content hash. */
    static Map<String, String> snapshot(Path root, String... children) throws IOException {
        Map<String, String> m = new TreeMap<>();
        List<Path> starts = children.length == 0 ? List.of(root) : Stream.of(children).map(root::resolve).toList();
        for (Path start : starts) {
            try (Stream<Path> s = Files.walk(start)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    m.put(root.relativize(f).toString(), Files.getLastModifiedTime(f) + " " + java.util.Arrays.hashCode(Files.readAllBytes(f)));
                }
            }
        }
        return m;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
