package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.DiffFixture;
import org.dfcspark.jobs.SparkSessions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc demo --quick} end to end through {@link Main#run}. With the shipped organism (data/organism/{base,rl})
 * it must find what the recipe measured — a tool feature among the A-exclusive ones that switches B's tool calling on
 * — without hard-coded numbers: the top feature separates tool from generic prompts (Cohen's d > 1) and steering B
 * with it (β = 4) raises B's strict rate above clean. Without it, part 2 runs on a random stand-in (plumbing only)
 * and the plain {@code demo} prints a note.
 */
class DemoCommandTest {
    @TempDir Path tmp;

    @AfterAll
    static void stopSpark() {
        SparkSessions.get("test").stop();
    }

    @Test
    void quickDemoRunsThePipelineOnTheOrganism() throws Exception {
        Path shipped = ProjectPaths.data("organism");
        boolean real = Files.isRegularFile(shipped.resolve("rl/model.safetensors")) && Files.isRegularFile(shipped.resolve("base/model.safetensors"));
        Path organism = real ? shipped : DiffFixture.organism(SparkSessions.get("test"), tmp.resolve("organism"));
        Path work = tmp.resolve("work");
        CliRun c = CliRun.run("demo", "--quick", "--max-new-tokens", "4", "--work", work.toString(), "--organism", organism.toString());
        assertEquals(0, c.code(), c.err() + c.out());
        for (String s : new String[] {"=== Part 1", "=== Part 2", "[1/5] harvest", "[3/5] the mean A-B difference", "A-exclusive",
                "[4/5] A-exclusive features by Cohen's d", "B steered beta=4", "B reconstructed", "exclusivity verified",
                "B strict tool calls: clean"}) {
            assertTrue(c.out().contains(s), s + "\n" + c.out());
        }
        for (String f : new String[] {"prompts", "acts/manifest.json", "dfc/crosscoder.safetensors", "generations.jsonl", "summary.json"}) {
            assertTrue(Files.exists(work.resolve(f)), f);
        }
        JsonNode summary = new ObjectMapper().readTree(work.resolve("summary.json").toFile());
        assertEquals(0.0, summary.at("/dfc/max_forbidden").asDouble());
        assertEquals(0.0, summary.at("/dfc/max_tie_violation").asDouble());
        assertEquals(51, summary.at("/dfc/n_a").asInt());
        assertEquals(51, summary.get("a_exclusive_ranking").size());
        double clean = rate(summary, "B clean"), steered = rate(summary, "B steered beta=4");
        if (real) {
            double d = summary.get("a_exclusive_ranking").get(0).get("cohens_d").asDouble();
            assertTrue(d > 1, "top A-exclusive feature separates tool from generic prompts: d = " + d);
            assertTrue(steered > clean, "steering B with it raises B's strict rate: " + clean + " -> " + steered + "\n" + c.out());
        }
    }

    @Test
    void withoutTheOrganismItStopsAfterPartOneWithANote() throws Exception {
        Files.createDirectories(tmp.resolve("none")); // an organism directory whose models are not built yet
        CliRun c = CliRun.run("demo", "--max-new-tokens", "2", "--organism", tmp.resolve("none").toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("=== Part 1") && c.out().contains("NOTE: part 2") && c.out().contains("bin/dfc organism build"), c.out());
    }

    @Test
    void aNonEmptyWorkDirectoryIsRefusedBeforeAnyWork() throws Exception {
        Files.writeString(tmp.resolve("keep.txt"), "mine");
        CliRun c = CliRun.run("demo", "--work", tmp.toString());
        assertEquals(1, c.code());
        assertFalse(c.out().contains("=== Part 1"), c.out());
        assertTrue(c.err().contains("is not empty"), c.err());
        assertEquals("mine", Files.readString(tmp.resolve("keep.txt")));
    }

    private static double rate(JsonNode summary, String condition) {
        for (JsonNode c : summary.get("conditions")) if (c.get("name").asText().equals(condition)) return c.get("rate").asDouble();
        throw new AssertionError("no condition " + condition + " in " + summary);
    }
}
