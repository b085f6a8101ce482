package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.report.Headlines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc demo} end to end through {@link Main#run}: part 1 on the bundled tiny model, part 2 the demo experiment
 * (conf/experiments/demo.conf, unchanged) on the shipped organism. It must find what the organism was built to show,
 * with no hard-coded numbers: in every DFC of the demo sweep the top A-exclusive feature separates tool from generic
 * prompts (Cohen's d > 1), and steering B with it raises B's strict tool-call rate above B's clean rate and above the
 * random direction of the same norm. A second run does nothing and prints the same headlines.
 */
class DemoCommandTest {
    @TempDir Path tmp;

    @AfterAll
    static void stopSpark() {
        SparkSessions.get("test").stop();
    }

    @Test
    void theDemoRunsTheDemoExperimentOnTheOrganismAndFindsTheToolFeature() throws Exception {
        Path out = tmp.resolve("demo");
        CliRun c = CliRun.run("demo", "--max-new-tokens", "4", "--out", out.toString());
        assertEquals(0, c.code(), c.err() + c.out());
        for (String s : new String[] {"=== Part 1", "=== Part 2", "bin/dfc experiment --config conf/experiments/demo.conf --out " + out,
                "harvest   ran", "sweep     ran", "evaluate  ran", "report    ran", "top A-exclusive feature #", "B steered (steer/B/add/a_exclusive/",
                "report: " + out.resolve("report/report.html")}) {
            assertTrue(c.out().contains(s), s + "\n" + c.out());
        }
        assertTrue(Files.size(out.resolve("report/report.html")) > 10_000);
        JsonNode record = new ObjectMapper().readTree(out.resolve("experiment.json").toFile());
        assertTrue(record.toString().contains(ProjectPaths.data("organism").resolve("rl").toString()), "the organism's models, by absolute path");

        List<Headlines.Headline> headlines = Headlines.of(SparkSessions.get("test"), out);
        List<Headlines.Headline> dfcs = headlines.stream().filter(h -> h.crosscoder().startsWith("dfc-")).toList();
        assertEquals(List.of("dfc-k16", "dfc-k8"), dfcs.stream().map(Headlines.Headline::crosscoder).sorted().toList());
        for (Headlines.Headline h : dfcs) {
            assertTrue(h.topAExclusive().cohensD() > 1, "top A-exclusive feature separates tool from generic prompts: " + h);
            assertTrue(h.steeringB().rate() > h.cleanB(), "steering B with it raises B's strict rate: " + h);
            assertTrue(h.steeringB().rate() > h.controlB().rate(), "more than a random direction of the same norm: " + h);
            assertEquals(0.0, h.reconstructionA().diff() - (h.reconstructionA().rate() - h.cleanA()), 1e-9, "Δ_A is paired on the same prompts");
        }
        for (Headlines.Headline h : headlines) {
            if (h.crosscoder().startsWith("cc-")) assertNull(h.topAExclusive(), "a plain crosscoder has no A-exclusive features: " + h);
        }

        CliRun again = CliRun.run("demo", "--skip-organism", "--max-new-tokens", "2"); // part 1 alone: no run directory touched
        assertTrue(again.out().contains("part 2, the demo experiment on the model organism, skipped"), again.out());
        CliRun rerun = CliRun.run("demo", "--max-new-tokens", "4", "--out", out.toString());
        assertEquals(0, rerun.code(), rerun.err());
        for (String stage : new String[] {"harvest", "sweep", "evaluate", "report"}) {
            assertTrue(rerun.out().contains(String.format("%-9s skipped (up to date)", stage)), stage + "\n" + rerun.out());
        }
        assertEquals(headlinesOf(c.out()), headlinesOf(rerun.out()), "the rerun reads the same tables");
    }

    @Test
    void withoutTheOrganismModelsItStopsAfterPartOneWithANote() throws Exception {
        Files.createDirectories(tmp.resolve("none")); // an organism directory whose models are not built yet
        CliRun c = CliRun.run("demo", "--max-new-tokens", "2", "--organism", tmp.resolve("none").toString(), "--out", tmp.resolve("out").toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("=== Part 1") && c.out().contains("NOTE: part 2") && c.out().contains("bin/dfc organism build"), c.out());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written for part 2");
    }

    @Test
    void aMistypedOrganismIsRefusedBeforeAnyWork() throws Exception {
        CliRun c = CliRun.run("demo", "--organism", tmp.resolve("typo").toString());
        assertEquals(2, c.code(), "a usage error");
        assertFalse(c.out().contains("=== Part 1"), c.out());
        assertTrue(c.err().contains("does not exist"), c.err());
    }

    private static String headlinesOf(String out) {
        return out.substring(out.indexOf("headlines ("), out.indexOf("report: "));
    }
}
