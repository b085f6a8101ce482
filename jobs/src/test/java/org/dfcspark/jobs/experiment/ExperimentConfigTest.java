package org.dfcspark.jobs.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped experiment files parse into what their comments promise, and the experiment's own keys are refused in the blocks. */
class ExperimentConfigTest {
    static final Path OUT = Path.of("/runs/x");

    static ExperimentConfig shipped(String name) {
        return ExperimentConfig.fromFile(ProjectPaths.root().resolve("conf/experiments/" + name).toString());
    }

    @Test
    void theDemoIsFourSmallCrosscodersAtOneHook() {
        ExperimentConfig e = shipped("demo.conf");
        HarvestOptions h = e.harvestOptions(OUT);
        assertEquals(List.of(2), h.layers());
        assertEquals("/runs/x/harvest", h.out());
        assertEquals("/runs/x/harvest-prompts", h.prompts());
        SweepGrid g = e.grid(OUT);
        assertEquals(4, g.variants().size());
        assertEquals("/runs/x/harvest", g.variants().get(0).config().store());
        EvaluateOptions o = e.evaluateOptions("fixed", List.of("/runs/x/sweep/variants/dfc-k8"));
        assertEquals(List.of("blocks.2.hook_resid_post"), o.hooks(), "hooks default to the experiment's");
        assertEquals("data/organism/prompts/tool-train.parquet", o.rankingTool(), "ranking prompts default to the training prompts");
        assertEquals(48, o.rankingLimit());
        assertEquals("data/organism/rl", o.modelA());
    }

    @Test
    void theOrganismStudyIsOrganism48AtAllFourLayers() {
        ExperimentConfig e = shipped("organism.conf");
        assertEquals(List.of(0, 1, 2, 3), e.harvestOptions(OUT).layers());
        SweepGrid g = e.grid(OUT);
        assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post", "blocks.2.hook_resid_post", "blocks.3.hook_resid_post"), g.hooks());
        assertEquals(96 * 4, g.variants().size());
        assertEquals(Path.of("/runs/x/sweep/variants/cc-D1k-k8/blocks.0.hook_resid_post"), e.variantDirs(OUT).get(0));
        assertEquals(List.of("fixed"), e.protocols());
    }

    @Test
    void theOrganismPaperProtocolRunsAreTheReconstructionRunsBeyondTheContext() {
        for (String name : List.of("organism-reconstruction-paper.conf", "organism-reconstruction-rl-paper.conf")) {
            ExperimentConfig e = shipped(name);
            assertEquals(List.of("paper"), e.protocols(), name);
            assertEquals(48, e.grid(OUT).variants().size(), name);
            EvaluateOptions o = e.evaluateOptions("paper", List.of("c"));
            assertTrue(o.beyondContext(), name + ": the raw rendering is beyond the organism's context, evaluated anyway");
            assertEquals(32, o.rankingLimit(), name);
            assertEquals(name.contains("-rl-") ? "data/organism/rl" : "data/organism/rl-mid", o.modelA(), name);
        }
        assertFalse(shipped("organism-reconstruction.conf").evaluateOptions("fixed", List.of("c")).beyondContext(), "refuse by default");
    }

    @Test
    void thePaperStudyIsPaper48AtTheNineSteeringLayersWithBothProtocols() {
        ExperimentConfig e = shipped("paper-qwen2.5-3b.conf");
        assertEquals(List.of(1, 5, 9, 13, 14, 18, 20, 24, 28), e.harvestOptions(OUT).layers());
        assertEquals(40000, e.trainingLimit());
        assertEquals("raw", e.harvestOptions(OUT).rendering());
        assertEquals(48 * 9, e.grid(OUT).variants().size());
        assertTrue(e.grid(OUT).variants().stream().anyMatch(v -> v.name().equals("dfc-D8k-excl10-freeexcl-k45")));
        assertEquals(List.of("fixed", "paper"), e.protocols());
        assertEquals("paper", e.evaluateOptions("paper", List.of("c")).protocol().id());
    }

    @Test
    void keysTheExperimentSetsAndUnknownKeysAreRefused(@TempDir Path dir) throws Exception {
        String base = "include file(\"" + ProjectPaths.root().resolve("conf/experiments/demo.conf") + "\")\n";
        for (String[] bad : new String[][] {{"harvest.out = \"/x\"", "harvest.out is set by the experiment"},
                {"evaluate.crosscoders = [\"/x\"]", "evaluate.crosscoders is set by the experiment"},
                {"harvest.master = \"local[1]\"", "use bin/dfc experiment --master"},
                {"harvest.batch-sise = 4", "unknown key harvest.batch-sise"},
                {"evaluate.limt = 4", "unknown key 'limt'"},
                {"sweep.train.stepz = 4", "stepz"},
                {"reports { }", "unknown key 'reports'"}}) {
            Path f = dir.resolve("bad.conf");
            Files.writeString(f, base + bad[0] + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExperimentConfig.fromFile(f.toString()), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
        }
    }
}
