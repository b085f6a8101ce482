package org.dfcspark.jobs;

import org.dfcspark.dfc.train.TrainConfig;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole diff pipeline on the small pair of the harvest tests (B = qwen2-tiny, A = B with every weight perturbed;
 * random weights, so nothing meaningful is found: this proves the plumbing, the organism run proves the science).
 */
class DiffPipelineTest {
    /** A small tied DFC: D 64, k 8, 60 steps of 16 rows, Adam 1e-3 decaying over the last 20%, b_dec from the first batch. */
    static final TrainConfig RECIPE = TrainConfig.defaults().with(java.util.Map.of("dict_size", "64", "k", "8", "steps", "60", "batch", "16",
            "lr", "1e-3", "coupling", "tied", "bias_init", "mean", "decay_start", "0.8"));

    @TempDir static Path dir;
    static SparkSession spark;

    @BeforeAll
    static void setUp() {
        spark = SparkSession.builder().master("local[2]").appName("DiffPipelineTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    @Test
    void runsEveryStageAndWritesItsArtifacts() throws Exception {
        Path organism = DiffFixture.organism(spark, dir.resolve("organism"));
        Path b = organism.resolve("base"), a = organism.resolve("rl");
        Path tool = organism.resolve("prompts/tool-train.jsonl"), gen = organism.resolve("prompts/generic-train.parquet"),
                test = organism.resolve("prompts/tool-test.jsonl");
        Path work = dir.resolve("work");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DiffPipeline.Report r = DiffPipeline.run(spark, new DiffPipeline.Settings(a, b, tool, gen, test, 30, 8, 1, RECIPE,
                List.of(1.0, 4.0), 6, work), new PrintStream(buf, true));
        String out = buf.toString();


        assertEquals(0.0, r.maxForbidden(), "A-exclusive features never touch B (and vice versa)");
        assertEquals(0.0, r.maxTieViolation(), "shared decoders are tied");
        assertEquals(6, r.partition().nA());
        assertEquals(6, r.ranking().size());
        for (int i = 1; i < r.ranking().size(); i++) assertTrue(r.ranking().get(i - 1).cohensD() >= r.ranking().get(i).cohensD());
        // the decomposition closes: the parts carried along the data's difference add up to its norm
        double sum = 0;
        for (String p : List.of("normalization", "decoder bias", "shared", "A-exclusive", "B-exclusive", "error")) sum += r.toolDifference().carried(p);
        assertEquals(r.toolDifference().dataNorm(), sum, 1e-6 * Math.max(1, r.toolDifference().dataNorm()));
        assertEquals(List.of("B clean", "B steered beta=1", "B steered beta=4", "B reconstructed", "A clean"),
                r.conditions().stream().map(DiffPipeline.Condition::name).toList());
        for (DiffPipeline.Condition c : r.conditions()) {
            assertEquals(8, c.strict().length);
            assertTrue(c.rate().lower() <= c.rate().estimate() && c.rate().estimate() <= c.rate().upper());
        }
        assertEquals(0.0, r.condition("B clean").vsClean().meanDiff());

        for (String f : List.of("acts/manifest.json", "dfc/crosscoder.safetensors", "dfc/config.json", "generations.jsonl", "summary.json")) {
            assertTrue(Files.exists(work.resolve(f)), f);
        }
        assertEquals(5 * 8, Files.readAllLines(work.resolve("generations.jsonl")).size());
        JsonNode summary = new ObjectMapper().readTree(work.resolve("summary.json").toFile());
        assertEquals(r.top().feature(), summary.get("a_exclusive_ranking").get(0).get("feature").asInt());
        assertTrue(out.contains("[5/5]") && out.contains("B steered beta=4") && out.contains("A-exclusive"), out);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiffPipeline.run(spark,
                new DiffPipeline.Settings(a, b, tool, gen, test, 30, 8, 1, RECIPE, List.of(1.0), 6, work),
                new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
    }
}
