package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.harvest.HarvestFixture;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.WithFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/dfc harvest} and {@code bin/dfc harvest validate} through Main.run: exit codes, messages, HOCON. */
class HarvestCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path modelA;
    static Path modelB;
    static Path prompts;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeAll
    static void fixture() throws IOException {
        SparkSession spark = SparkSessions.get("HarvestCommandTest");
        modelA = HarvestFixture.modelDir(dir, "A", 0, 0);
        modelB = HarvestFixture.modelDir(dir, "B", 0.05, 1);
        prompts = HarvestFixture.promptsTable(spark, dir, 4);
    }

    @AfterAll
    static void stopSpark() {
        SparkSessions.get("test").stop();
    }

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private int run(String... argv) {
        out.reset();
        err.reset();
        return Main.run(argv);
    }

    private String[] harvest(Path a, Path b, Path store, String... extra) {
        List<String> argv = new ArrayList<>(List.of("harvest", "--model-a", a.toString(), "--model-b", b.toString(),
                "--prompts", prompts.toString(), "--layers", "1", "--out", store.toString(), "--max-length", "64"));
        argv.addAll(List.of(extra));
        return argv.toArray(String[]::new);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A copy of model B with one config.json field changed. */
    private static Path withConfig(String name, String field, int value) throws IOException {
        Path m = HarvestFixture.modelDir(dir, name, 0.05, 1);
        ObjectNode cfg = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        cfg.put(field, value);
        Files.writeString(m.resolve("config.json"), cfg.toString());
        return m;
    }

    @Test
    void mismatchedModelsAreRefusedBeforeAnyWork() throws IOException {
        Path store = dir.resolve("refused");
        assertEquals(1, run(harvest(modelA, withConfig("wide", "hidden_size", 32), store)));
        assertTrue(stderr().startsWith("dfc harvest: error: models A and B have different hidden sizes: hidden_size = 64 in "), stderr());
        assertEquals(1, stderr().trim().lines().count(), "one line");

        assertEquals(1, run(harvest(modelA, withConfig("deep", "num_hidden_layers", 4), store)));
        assertTrue(stderr().contains("models A and B have different architectures: num_hidden_layers = 3 in "), stderr());

        Path otherTok = HarvestFixture.modelDir(dir, "othertok", 0.05, 1);
        String tok = Files.readString(otherTok.resolve("tokenizer.json"));
        Files.writeString(otherTok.resolve("tokenizer.json"), tok.replace("\"<tool_call>\"", "\"<toolcall>\""));
        assertEquals(1, run(harvest(modelA, otherTok, store)));
        assertTrue(stderr().contains("models A and B have different tokenizers: ") && stderr().contains("differ in added_tokens"), stderr());

        assertEquals(1, run(harvest(modelA, modelB, store, "--layers", "0,3")));
        assertTrue(stderr().contains("layer 3 does not exist: the models have 3 decoder layers (0..2)"), stderr());

        assertEquals(1, run(harvest(modelA, dir.resolve("missing"), store)));
        assertTrue(stderr().contains("model directory not found: "), stderr());
        assertFalse(Files.exists(store), "nothing was written");
    }

    @Test
    void malformedFlagsExitTwoWithOneLine() {
        Path store = dir.resolve("usage");
        assertEquals(2, run(harvest(modelA, modelB, store, "--positions", "first")));
        assertEquals("dfc harvest: unknown positions mode 'first' (expected last, all or assistant)", stderr().trim());
        assertEquals(2, run(harvest(modelA, modelB, store, "--dtype", "f8")));
        assertEquals("dfc harvest: unknown activation dtype 'f8' (expected f16, bf16 or f32)", stderr().trim());
        assertEquals(2, run(harvest(modelA, modelB, store, "--layers", "1,x")));
        assertEquals(2, run("harvest", "--model-a", modelA.toString()));
        assertTrue(stderr().contains("missing required flag --model-b"), stderr());
        assertEquals(2, run(harvest(modelA, modelB, store, "--sink-policy", "ignore")));
        assertFalse(Files.exists(store));
    }

    @Test
    void hoconConfigRunsAndFlagsOverrideIt() throws IOException {
        Path store = dir.resolve("from-conf");
        Path conf = dir.resolve("harvest.conf");
        Files.writeString(conf, """
                # the same keys as the flags
                harvest {
                  model-a = "%s"
                  model-b = "%s"
                  prompts = "%s"
                  layers = [0, 2]
                  positions = all
                  out = "%s"
                  dtype = f32
                  max-length = 48
                  sink-policy = flag
                  shuffle = true
                }
                """.formatted(modelA, modelB, prompts, store));
        assertEquals(0, run("harvest", "--config", conf.toString(), "--dtype", "bf16"), stderr());
        JsonNode m = JSON.readTree(store.resolve("manifest.json").toFile());
        assertEquals("bf16", m.get("dtype").asText(), "the flag wins over the file");
        assertEquals("all", m.get("positions").asText());
        assertEquals("[0,2]", m.get("layers").toString());
        assertEquals("flag", m.at("/sink/policy").asText());
        assertEquals(48, m.get("max_length").asInt());
        assertFalse(m.get("shuffled").isNull());

        assertEquals(0, run("harvest", "validate", "--store", store.toString(), "--rows"), stdout());
        assertTrue(stdout().startsWith("ok: " + store), stdout());

        Files.writeString(dir.resolve("bad.conf"), "harvest { colour = blue }");
        assertEquals(2, run("harvest", "--config", dir.resolve("bad.conf").toString()));
        assertTrue(stderr().contains("unknown key 'colour'"), stderr());
    }

    @Test
    void f16OnCpuIsRefusedBeforeAnyWorkAndAssistantModeWithoutGoldIsRefused() throws IOException {
        Path store = dir.resolve("f16");
        assertEquals(1, run(harvest(modelA, modelB, store, "--compute-dtype", "f16")));
        assertEquals("dfc harvest: error: --compute-dtype f16 needs a GPU for every task, but the tasks on local[2] get none (local mode "
                + "runs on the CPU); use --compute-dtype f32, or a GPU cluster with conf/spark-gpu-cluster.conf", stderr().trim());
        assertFalse(Files.exists(store), "refused before any work");

        Path texts = dir.resolve("texts.jsonl");
        Files.writeString(texts, "{\"text\": \"Plain prose, no tools.\"}\n{\"text\": \"More prose.\"}\n");
        List<String> argv = new ArrayList<>(List.of("harvest", "--model-a", modelA.toString(), "--model-b", modelB.toString(),
                "--prompts", texts.toString(), "--layers", "1", "--positions", "assistant", "--out", dir.resolve("no-gold").toString()));
        assertEquals(1, run(argv.toArray(String[]::new)));
        assertTrue(stderr().trim().endsWith("\ndfc harvest: error: none of the 2 prompts has a position to harvest with "
                + "--positions assistant (it needs prompts with tool-call gold answers)"), stderr());
    }

    @Test
    void theShippedExampleConfigIsValid() {
        String conf = org.dfcspark.data.ProjectPaths.root().resolve("conf/harvest-example.conf").toString();
        org.dfcspark.jobs.harvest.HarvestOptions o = org.dfcspark.jobs.harvest.HarvestOptions.from(
                Args.parse(new String[] {"--config", conf}, org.dfcspark.jobs.harvest.HarvestOptions.valuedFlags(),
                        org.dfcspark.jobs.harvest.HarvestOptions.switchFlags()));
        assertEquals(List.of(13), o.layers());
        assertEquals(512, o.maxLength());
        assertTrue(o.shuffle());
    }

    @Test
    void validateReportsADamagedStore() throws IOException {
        Path store = dir.resolve("damaged");
        assertEquals(0, run(harvest(modelA, modelB, store, "--shard-size", "2")), stderr());
        Files.delete(store.resolve("activations/layer=1/shard-00001.parquet"));
        ObjectNode m = (ObjectNode) JSON.readTree(store.resolve("manifest.json").toFile());
        m.put("d_model", 65);
        Files.writeString(store.resolve("manifest.json"), m.toString());
        assertEquals(1, run("harvest", "validate", "--store", store.toString()));
        String report = stdout();
        assertTrue(report.contains("layer 1: 2 rows in the files but 4 in manifest.json"), report);
        assertTrue(report.contains("footer dfc.d_model = 64, expected 65"), report);
        assertTrue(report.contains("statistics.json layer 1 model a: mean must hold 65 values"), report);
    }

    /** Issue 15, item 9: what a task would open is opened first; bad input is one line naming the file, before planning. */
    @Test
    void badInputIsRefusedInOneLineBeforePlanning() throws Exception {
        Path store = dir.resolve("preflight");
        Path truncated = HarvestFixture.modelDir(dir, "truncated", 0.05, 1);
        Path weights = truncated.resolve("model.safetensors");
        byte[] w = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(w, w.length / 2));
        assertEquals(1, run(harvest(modelA, truncated, store)));
        assertTrue(stderr().trim().startsWith("dfc harvest: error: " + weights), stderr());
        assertEquals(1, stderr().trim().lines().count(), stderr());

        Path notParquet = dir.resolve("prompts.parquet");
        Files.writeString(notParquet, "id,text\n1,hello\n");
        assertEquals(1, run(harvest(modelA, modelB, store, "--prompts", notParquet.toString())));
        assertEquals("dfc harvest: error: prompts " + notParquet + " is not a Parquet file (no PAR1 magic bytes)", stderr().trim());

        Path wrongType = dir.resolve("int-text");
        SparkSessions.get("test").range(3).withColumnRenamed("id", "text").write().parquet(wrongType.toString());
        assertEquals(1, run(harvest(modelA, modelB, store, "--prompts", wrongType.toString())));
        assertEquals("dfc harvest: error: " + wrongType + ": column 'text' has type bigint, expected string", stderr().trim());
        assertFalse(Files.exists(store.resolve("_harvest/plan")), "no plan stage ran");
    }

    /** A task failure that a rerun cannot cure says so, names the shard, and puts the stack trace in a log file. */
    @Test
    void aTaskFailureARerunCannotFixSaysSoInOneLineWithTheShardAndALogFile() throws Exception {
        Path store = dir.resolve("task-failure");
        assertEquals(1, (int) WithFaults.run("harvest.fail-shard=0", () -> run(harvest(modelA, modelB, store, "--shard-size", "2"))));
        String last = stderr().trim().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("dfc harvest: error: harvest failed in a Spark task: shard 0 (2 prompts, ids "), last);
        assertTrue(last.contains("IllegalStateException: injected failure in shard 0") && last.contains("Running again will not fix this"), last);
        assertFalse(last.contains("run the same command again"), last);
        String log = last.substring(last.indexOf("stack trace in ") + "stack trace in ".length());
        assertTrue(Files.readString(Path.of(log)).contains("at org.dfcspark.jobs.harvest.ShardTask"), log);
    }

    /** Issue 15, item 3: a resume compares places, not spellings: a relative or dotted path to the same models is the same harvest. */
    @Test
    void resumeComparesCanonicalPaths() throws IOException {
        Path store = dir.resolve("canonical");
        assertEquals(0, run(harvest(modelA, modelB, store)), stderr());
        Path relativeA = Path.of("").toAbsolutePath().relativize(modelA);
        assertEquals(0, run(harvest(relativeA, dir.resolve("x/../B"), store)), stderr());
        assertTrue(stderr().contains("harvest: already complete"), stderr());
    }

    /** Issue 15, item 13: a truncated shard is named, and validation goes on to report every problem. */
    @Test
    void validateNamesEveryTruncatedShardAndGoesOn() throws IOException {
        Path store = dir.resolve("truncated-shards");
        assertEquals(0, run(harvest(modelA, modelB, store, "--shard-size", "1")), stderr());
        for (String shard : List.of("shard-00000", "shard-00002")) {
            Path f = store.resolve("activations/layer=1/" + shard + ".parquet");
            byte[] b = Files.readAllBytes(f);
            Files.write(f, java.util.Arrays.copyOf(b, b.length / 3));
        }
        assertEquals(1, run("harvest", "validate", "--store", store.toString()));
        String report = stdout();
        assertTrue(report.contains("layer=1/shard-00000.parquet: unreadable Parquet footer (truncated or not Parquet)"), report);
        assertTrue(report.contains("shard-00002.parquet: unreadable Parquet footer (truncated or not Parquet)"), report);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }
}
