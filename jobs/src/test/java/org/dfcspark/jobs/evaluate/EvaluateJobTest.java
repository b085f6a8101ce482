package org.dfcspark.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.cli.Main;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.train.TrainJob;
import org.dfcspark.text.Tokenizer;
import org.dfcspark.jobs.WithFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc evaluate} on the shipped organism (A = rl, B = base) at blocks.2.hook_resid_post, with a small DFC
 * trained here on Spark (organism recipe, 48 tool + 48 generic training prompts at the last prompt token). 4 test
 * prompts, 12 new tokens, 2 prompts per work item.
 */
class EvaluateJobTest {
    static final String HOOK = "blocks.2.hook_resid_post";
    static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path organism, variants, fixedOut;
    static EvaluateJob.Outcome fixed;

    @BeforeAll
    static void trainAndEvaluate() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("EvaluateJobTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        organism = ProjectPaths.data("organism");
        List<Row> rows = new ArrayList<>();
        for (String t : List.of("tool-train", "generic-train")) {
            for (PromptRecord r : PromptsTable.readLocal(spark, organism.resolve("prompts/" + t + ".parquet").toString(), 48)) rows.add(PromptsTable.toRow(r));
        }
        Path prompts = dir.resolve("train-prompts");
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(prompts.toString());
        long t0 = System.nanoTime();
        Path store = dir.resolve("store");
        String[] flags = {"--model-a", organism.resolve("rl").toString(), "--model-b", organism.resolve("base").toString(), "--prompts", prompts.toString(),
                "--layers", "2", "--positions", "last", "--rendering", "chat", "--dtype", "f32", "--out", store.toString(), "--batch-size", "16",
                "--shard-size", "48"};
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(flags, HarvestOptions.valuedFlags(), HarvestOptions.switchFlags())), line -> {});
        long t1 = System.nanoTime();
        variants = dir.resolve("variants");
        TrainConfig cfg = TrainConfig.fromFile(ProjectPaths.root().resolve("conf/train/organism.conf").toString()).with(Map.of("store", store.toString(),
                "hook", HOOK, "dict_size", "128", "k", "8", "excl_a", "0.25", "excl_b", "0.25", "steps", "150", "decay_start", "120",
                "batch", "32", "checkpoint_every", "0"));
        TrainJob.Outcome t = TrainJob.run(spark, cfg, variants.resolve("dfc-organism"), false, QUIET);
        assertEquals("", t.stopped());
        long t2 = System.nanoTime();
        fixedOut = dir.resolve("eval-fixed");
        fixed = EvaluateJob.run(spark, options(), fixedOut, System.err);
        System.err.printf("EvaluateJobTest: harvest %.1f s, train %.1f s, evaluate %.1f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9);
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /** The issue's config with small lists; {@code sets} as on the command line. */
    static EvaluateOptions options(String... sets) {
        String hocon = """
                model_a = "%s/rl"
                model_b = "%s/base"
                prompts = "%s/prompts/tool-test.parquet"
                limit = 4
                ranking_prompts { tool = "%s/prompts/tool-train.parquet", generic = "%s/prompts/generic-train.parquet", limit = 48 }
                crosscoders = ["%s"]
                hooks = ["%s"]
                protocol = fixed
                max_new_tokens = 12
                shard_size = 2
                experiments = [
                  { type = clean,          models = [A, B] }
                  { type = reconstruction, models = [A, B], positions = last, keep_error = [false, true] }
                  { type = steering, model = B, partition = a_exclusive, mode = add, side = A, betas = [1, 4], sizes = [1] }
                  { type = steering, model = A, partition = a_exclusive, mode = scale, alphas = [1, 16], sizes = [1, 2] }
                  { type = control,  model = B, kind = random_direction, like = steering }
                ]
                """.formatted(organism, organism, organism, organism, organism, variants, HOOK);
        return EvaluateOptions.fromString(hocon, List.of(sets));
    }

    static List<Row> table(Path out, String name) {
        return spark.read().parquet(out.resolve(name).toString()).collectAsList();
    }

    @Test
    void everyExperimentLandsInTheTables() {
        List<Row> gens = table(fixedOut, "generations");
        assertEquals(Set.of("clean", "reconstruction", "steering", "control"), column(gens, "experiment"));
        // per prompt: 2 clean + 4 reconstruction + 2 add + 4 scale + 2 random directions
        assertEquals(4 * 14, gens.size());
        assertEquals(4 * 14, fixed.generations());
        assertEquals(2, fixed.itemsRun(), "4 prompts in shards of 2");
        for (Row r : gens) {
            assertEquals("dfc-organism", r.getAs("crosscoder"));
            assertEquals(HOOK, r.getAs("hook"));
            assertEquals("fixed", r.getAs("protocol"));
            String exp = r.getAs("experiment");
            if (exp.equals("clean") || exp.equals("reconstruction")) {
                assertNull(r.getAs("alpha"));
                assertNull(r.getAs("features"));
            } else {
                assertEquals(r.<Integer>getAs("n_features"), r.getList(r.fieldIndex("features")).size());
                assertNotNull(r.getAs("alpha"));
            }
            assertEquals(exp.equals("reconstruction"), r.getAs("keep_error") != null);
            for (String verdict : List.of("strict_correct", "paper_tool_correct", "paper_overall", "toolrl_correct", "bfcl_valid")) {
                assertNotNull(r.getAs(verdict), verdict + " of " + r.getAs("condition_key"));
            }
        }
        List<Row> conditions = table(fixedOut, "conditions");
        assertEquals(14, conditions.size());
        for (Row c : conditions) {
            assertEquals(4, (int) c.<Integer>getAs("strict_n"));
            assertEquals("strict", c.getAs("headline"));
            double rate = c.getAs("strict_rate");
            assertTrue(c.<Double>getAs("strict_rate_lower") <= rate && rate <= c.<Double>getAs("strict_rate_upper"));
            if (c.getAs("experiment").equals("clean")) assertEquals(0.0, c.<Double>getAs("strict_diff"));
            assertEquals("add".equals(c.getAs("mode")), c.getAs("mean_f") != null);
        }
        assertEquals(14, table(fixedOut, "summary").size(), "one crosscoder: one summary row per condition");
        List<Row> features = table(fixedOut, "features");
        assertEquals(Set.of("a_exclusive", "b_exclusive", "shared"), column(features, "partition"));
        assertEquals(128, features.size(), "every feature once, in its partition");
        assertTrue(fixed.tokensForwarded() < fixed.naiveTokensForwarded(), "prefix reuse forwards fewer tokens");
    }

    @Test
    void controlsEqualCleanTokenForToken() {
        Map<String, List<Integer>> byKey = new HashMap<>();
        for (Row r : table(fixedOut, "generations")) byKey.put(r.getAs("condition_key") + "#" + r.getAs("prompt_id"), r.getList(r.fieldIndex("generated_ids")));
        int compared = 0;
        for (var e : byKey.entrySet()) {
            String key = e.getKey();
            String prompt = key.substring(key.indexOf('#'));
            boolean keepError = key.startsWith("reconstruction/") && key.contains("/keep-error");
            boolean alphaOne = key.startsWith("steer/A/scale/") && key.contains("/alpha=1/");
            if (!keepError && !alphaOne) continue;
            String model = key.startsWith("steer/") ? "A" : key.split("/")[1];
            assertEquals(byKey.get("clean/" + model + prompt), e.getValue(), key + " must equal clean/" + model);
            compared++;
        }
        assertEquals(4 * (2 + 2), compared, "keep-error for A and B and alpha = 1 for |S| = 1, 2, on 4 prompts");
    }

    @Test
    void aRerunSkipsDoneItemsAndRedoesAMissingOne() throws IOException {
        List<String> before = sortedRows(table(fixedOut, "generations"));
        EvaluateJob.Outcome again = EvaluateJob.run(spark, options(), fixedOut, QUIET);
        assertEquals(0, again.itemsRun());
        assertEquals(2, again.itemsSkipped());
        Path items = fixedOut.resolve("items/dfc-organism/" + HOOK), generations = fixedOut.resolve("generations");
        Files.delete(items.resolve("shard-00001.done.json"));
        Files.delete(generations.resolve("dfc-organism@" + HOOK + "@shard-00001.parquet"));
        Path leftover = generations.resolve(".dfc-organism@" + HOOK + "@shard-00001.parquet.w.12345678.tmp");
        Files.writeString(leftover, "a killed attempt's partial rows");
        EvaluateJob.Outcome redo = EvaluateJob.run(spark, options(), fixedOut, QUIET);
        assertEquals(1, redo.itemsRun());
        assertFalse(Files.exists(leftover), "a killed attempt's temporary file is deleted");
        assertEquals(before, sortedRows(table(fixedOut, "generations")));
        // rows deleted but the marker kept (by hand, or an evaluation of an older layout): the item is redone, not trusted
        Files.delete(generations.resolve("dfc-organism@" + HOOK + "@shard-00000.parquet"));
        EvaluateJob.Outcome rowsGone = EvaluateJob.run(spark, options(), fixedOut, QUIET);
        assertEquals(1, rowsGone.itemsRun());
        assertEquals(before, sortedRows(table(fixedOut, "generations")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, options("limit=3"), fixedOut, QUIET));
        assertTrue(e.getMessage().contains("another config"), e.getMessage());
    }

    /**
     * A task that dies inside an item after writing part of its rows (an injected fault, first attempt) fails the run:
     * that item has neither its file, nor its marker, nor its temporary file; the rerun does the items without a marker
     * (the failed one, and the other one unless it finished: Spark lets a failed job's other running task go on) and
     * ends with exactly the tables of an uninterrupted run.
     */
    @Test
    void aTaskThatDiesMidItemLeavesNothingAndTheRerunEndsWithTheSameTables() throws Exception {
        Path out = dir.resolve("eval-injected");
        Exception e = assertThrows(Exception.class, () -> WithFaults.run("evaluate.fail-shard=1", () -> EvaluateJob.run(spark, options(), out, QUIET)));
        assertTrue(causes(e).contains("injected failure in evaluation item"), causes(e));
        Path items = out.resolve("items/dfc-organism/" + HOOK), generations = out.resolve("generations");
        assertFalse(Files.exists(items.resolve("shard-00001.done.json")));
        assertFalse(Files.exists(generations.resolve("dfc-organism@" + HOOK + "@shard-00001.parquet")));
        try (var files = Files.list(generations)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith(".dfc-organism@" + HOOK + "@shard-00001")).toList(),
                    "its temporary file is deleted");
        }
        EvaluateJob.Outcome rerun = EvaluateJob.run(spark, options(), out, QUIET);
        assertEquals(2, rerun.itemsRun() + rerun.itemsSkipped());
        assertTrue(rerun.itemsRun() >= 1, "the failed item is redone");
        assertEquals(sortedRows(table(fixedOut, "generations")), sortedRows(table(out, "generations")));
        assertEquals(sortedRows(table(fixedOut, "conditions")), sortedRows(table(out, "conditions")));
    }

    /** bench evaluate's dfc half (no Python here): a warm-up run, then the whole job and its items timed, every generation counted. */
    @Test
    void theBenchTimesTheWholeEvaluationAndCountsEveryGeneration() throws Exception {
        EvaluateBench.Result r = EvaluateBench.run(spark, options("limit=2"), options("limit=1"), dir.resolve("bench"), null, 1, 2, QUIET);
        assertEquals(table(dir.resolve("bench/ours"), "generations").size(), r.generations());
        assertEquals(table(dir.resolve("bench/warm-up"), "generations").size() * 2, r.generations(), "the warm-up ran on its one prompt");
        assertTrue(r.generations() > 0 && r.oursSeconds() > r.oursItemsSeconds() && r.oursItemsSeconds() > 0, r.toString());
        assertTrue(Double.isNaN(r.hfLoopSeconds()) && r.compared() == 0, "no reference without a Python");
    }

    /** --reference-prompts: the references' sample spans the prompts (first to near-last), all of them when it is not smaller. */
    @Test
    void theReferencesSampleIsSpreadEvenlyOverThePrompts() {
        assertEquals(java.util.Set.of(0, 10, 20, 30), EvaluateBench.evenlySpaced(40, 4));
        assertEquals(java.util.Set.of(0, 2, 4), EvaluateBench.evenlySpaced(7, 3));
        assertEquals(java.util.Set.of(0, 1, 2), EvaluateBench.evenlySpaced(3, 5));
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) b.append(t).append('\n');
        return b.toString();
    }

    /**
     * The organism's 512-token context cannot hold ToolRL's raw system prompt (the refusal is tested below), so the
     * paper protocol runs here on plain-text prompts, which the raw rendering leaves as their text.
     */
    @Test
    void thePaperProtocolRendersRawTextAndFeedsRawActivations() throws IOException {
        Path out = dir.resolve("eval-paper");
        String generic = organism.resolve("prompts/generic-test.parquet").toString();
        EvaluateJob.Outcome paper = EvaluateJob.run(spark, options("protocol=paper", "limit=2", "prompts=\"" + generic + "\"",
                "ranking_prompts.tool=\"" + generic + "\"", "ranking_prompts.limit=16",
                "experiments=[{type=clean, models=[A, B]}, {type=reconstruction, models=[B], keep_error=[false, true]}]"), out, QUIET);
        assertEquals(2 * 4, paper.generations());
        List<Row> gens = table(out, "generations");
        assertEquals(Set.of("paper"), column(gens, "protocol"));
        int imStart;
        try (Tokenizer tok = Tokenizer.load(organism.resolve("base"))) {
            imStart = tok.tokenId("<|im_start|>");
        }
        for (Row r : gens) assertFalse(r.getList(r.fieldIndex("prompt_ids")).contains(imStart), "raw text, not the chat template");
        for (Row c : table(out, "conditions")) assertEquals("paper", c.getAs("headline"));
        assertEquals(Set.of("clean", "reconstruction"), column(table(out, "summary"), "experiment"));
        String cc = variants.resolve("dfc-organism").toString();
        assertNull(CrosscoderCache.get(cc, Protocol.PAPER).config().normalization(), "paper: raw activations into the crosscoder");
        assertNotNull(CrosscoderCache.get(cc, Protocol.FIXED).config().normalization(), "fixed: the crosscoder's normalisation");
    }

    /**
     * The issue's "run it anyway": with {@code beyond_context = run} the paper protocol renders ToolRL's raw system
     * prompt (over 1700 tokens) for the organism's 512-position context, and the job evaluates it and says so.
     */
    @Test
    void beyondContextRunsThePaperProtocolOnPromptsLongerThanTheContext() throws IOException {
        Path out = dir.resolve("eval-paper-beyond");
        java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
        EvaluateJob.Outcome paper = EvaluateJob.run(spark, options("protocol=paper", "beyond_context=run", "limit=1", "max_new_tokens=4",
                "ranking_prompts.limit=4", "experiments=[{type=clean, models=[A, B]}, {type=reconstruction, models=[A], keep_error=[false, true]}]"),
                out, new PrintStream(logged, true));
        assertEquals(4, paper.generations());
        String log = logged.toString();
        assertTrue(log.contains("1 of 1 evaluation prompts (+ 4 new tokens)") && log.contains("context of 512 positions; run anyway"), log);
        List<Row> gens = table(out, "generations");
        for (Row r : gens) assertTrue(r.getList(r.fieldIndex("prompt_ids")).size() > 512, "the raw rendering is beyond the context");
        Object clean = null, errorKept = null;
        for (Row r : gens) {
            if (!"A".equals(r.getAs("model"))) continue;
            if ("clean".equals(r.getAs("experiment"))) clean = r.getList(r.fieldIndex("generated_ids"));
            if (Boolean.TRUE.equals(r.getAs("keep_error"))) errorKept = r.getList(r.fieldIndex("generated_ids"));
        }
        assertNotNull(clean);
        assertEquals(clean, errorKept, "the error-kept patch equals clean beyond the context too");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options("beyond_context=maybe"));
        assertTrue(e.getMessage().contains("beyond_context must be refuse or run"), e.getMessage());
    }

    @Test
    void badInputsAreRefusedBeforeAnyWork() throws IOException {
        Path wrongD = dir.resolve("wrong-d/cc-d64");
        Checkpoint.save(new Crosscoder(CrosscoderConfig.paper(64, 32, 4, 4, 4)), wrongD, List.of());
        Path out = dir.resolve("refused");
        assertRefused(options("crosscoders=[\"" + wrongD + "\"]"), out, "reads d = 64 but the models' hidden size is 128");
        assertRefused(options("prompts=\"" + dir.resolve("missing.parquet") + "\""), out, "prompts table not found");
        assertRefused(options("hooks=[blocks.9.hook_resid_post]"), out, "the models have layers 0..3");
        assertRefused(options("protocol=paper"), out, "beyond the models' context of 512");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> options("experiments=[{type=clean, models=[A], colour=red}]"));
        assertTrue(e.getMessage().contains("unknown key 'colour'"), e.getMessage());
        // a B-exclusive feature has no decoder for A: refused when the config is read, not in a task mid-job
        e = assertThrows(IllegalArgumentException.class,
                () -> options("experiments=[{type=steering, model=A, partition=b_exclusive, mode=scale, alphas=[6], sizes=[1]}]"));
        assertTrue(e.getMessage().contains("b_exclusive features have no decoder for model A"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> options("experiments=[{type=steering, model=B, partition=a_exclusive, mode=add, side=B, betas=[1], sizes=[1]}]"));
        assertTrue(e.getMessage().contains("a_exclusive features have no decoder for model B; set side"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> options("max_tokens=3"));
        assertTrue(e.getMessage().startsWith("unknown key 'max_tokens'"), e.getMessage());
        assertFalse(Files.exists(out), "nothing was written");
        // through the CLI: one line, exit 2, before Spark starts
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "model_a = x\nbogus = 1\n");
        assertEquals(2, Main.run(new String[] {"evaluate", "--config", conf.toString(), "--out", out.toString()}));
    }

    private static void assertRefused(EvaluateOptions o, Path out, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, o, out, QUIET));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    private static Set<String> column(List<Row> rows, String name) {
        return rows.stream().map(r -> String.valueOf(r.<Object>getAs(name))).collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> sortedRows(List<Row> rows) {
        return rows.stream().map(Row::toString).sorted().toList();
    }
}
