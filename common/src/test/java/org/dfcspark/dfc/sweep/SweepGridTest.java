package org.dfcspark.dfc.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.Coupling;
import org.junit.jupiter.api.Test;

class SweepGridTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The paper's grid expands to exactly the 48 crosscoders of its models.jsonl, each with its own hyperparameters. */
    @Test
    void paperGridReproducesThePapersFortyEightCrosscoders() throws Exception {
        SweepGrid grid = SweepGrid.fromFile(ProjectPaths.root().resolve("conf/sweeps/paper-48.conf").toString());
        List<Variant> variants = grid.variants();
        Map<String, JsonNode> paper = new HashMap<>();
        for (String line : Files.readAllLines(ProjectPaths.data("paper-results/models.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            paper.put(n.get("name").asText().replaceFirst("^antebe1/", ""), n.get("hyperparameters"));
        }
        Set<String> ours = new TreeSet<>();
        for (Variant v : variants) ours.add(v.name());
        assertEquals(48, variants.size());
        assertEquals(new TreeSet<>(paper.keySet()), ours);
        for (Variant v : variants) {
            JsonNode h = paper.get(v.name());
            assertEquals(h.get("dict_size").asInt(), v.config().dictSize(), v.name());
            assertEquals(h.get("k").asInt(), v.config().k(), v.name());
            assertEquals(h.get("model_a_exclusive_pct").asDouble(), v.config().exclA(), 0, v.name());
            assertEquals(h.get("model_b_exclusive_pct").asDouble(), v.config().exclB(), 0, v.name());
            assertEquals(h.get("sparsity_coef").asDouble(), v.config().l1Shared(), 0, v.name());
            assertEquals(h.get("exclusive_sparsity_coef").asDouble(), v.config().l1Excl(), 0, v.name());
            assertEquals(h.get("steps").asInt(), v.config().steps(), v.name());
            assertEquals(h.get("train_batch").asInt(), v.config().batch(), v.name());
            assertEquals(h.get("lr").asDouble(), v.config().lr(), 0, v.name());
            assertEquals("blocks." + h.get("layer").asInt() + ".hook_resid_post", v.hook());
            assertEquals(Coupling.SEPARATE, v.config().coupling());
        }
        assertEquals(List.of("dict_size", "k", "excl_a", "excl_b", "l1_shared", "l1_excl"), grid.axisKeys());
        assertEquals(List.of("D", "family", "tag"), grid.labelKeys());
        assertEquals(16384, variants.get(47).axes().get("dict_size"));
        assertEquals("dfc", variants.get(47).labels().get("family"));
    }

    @Test
    void organismGridHasNinetySixVariantsWithBothCouplings() {
        SweepGrid grid = SweepGrid.fromFile(ProjectPaths.root().resolve("conf/sweeps/organism-48.conf").toString());
        List<Variant> variants = grid.variants();
        assertEquals(96, variants.size());
        Set<String> names = new TreeSet<>();
        for (Variant v : variants) names.add(v.name());
        assertEquals(96, names.size());
        assertTrue(names.contains("dfc-D2k-excl10-freeexcl-k32-tied"));
        assertTrue(names.contains("cc-D1k-nol1-k8"));
        Variant tied = variants.stream().filter(v -> v.name().equals("dfc-D1k-excl5-k16-tied")).findFirst().orElseThrow();
        assertEquals(Coupling.TIED, tied.config().coupling());
        assertEquals(1024, tied.config().dictSize());
        assertEquals(400, tied.config().steps()); // the file's own train { } over the included organism recipe
        assertEquals("scalar", tied.config().normalization());
    }

    @Test
    void hooksMultiplyTheVariantsAndSetsOverrideEveryVariant() {
        SweepGrid grid = parse("sweep { hooks = [blocks.1.hook_resid_post, blocks.2.hook_resid_post], name = \"k{k}\", axes { k = [4, 8] } }")
                .with(Map.of("steps", "30", "sweep.pack", "2", "k", "6"));
        List<Variant> vs = grid.variants();
        assertEquals(4, vs.size());
        assertTrue(grid.severalHooks());
        assertEquals("blocks.1.hook_resid_post", vs.get(0).hook());
        assertEquals(30, vs.get(3).config().steps());
        assertEquals(6, vs.get(0).config().k()); // --set wins over the axis
        assertEquals(2, grid.settings().pack());
        assertEquals(Path.of("o/variants/k4/blocks.1.hook_resid_post"), vs.get(0).dir(Path.of("o"), true));
        assertEquals("k4@blocks.1.hook_resid_post", vs.get(0).id());
    }

    @Test
    void badGridsAreRefusedWithTheReason() {
        assertMessage("unknown key sweep.bogus", "sweep { hooks = [blocks.1.hook_resid_post], bogus = 1 }");
        assertMessage("axis 'width' is not a training key", "sweep { hooks = [blocks.1.hook_resid_post], axes { width = [1, 2] } }");
        assertMessage("two variants are named 'same'", "sweep { hooks = [blocks.1.hook_resid_post], name = same, axes { k = [4, 8] } }");
        assertMessage("uses {nope}", "sweep { hooks = [blocks.1.hook_resid_post], name = \"x{nope}\", axes { k = [4, 8] } }");
        assertMessage("no hook", "sweep { axes { k = [4, 8] } }");
        assertMessage("'hook' cannot be an axis", "sweep { hooks = [blocks.1.hook_resid_post], axes { v = [{hook = blocks.0.hook_resid_post}] } }");
        assertMessage("k", "sweep { hooks = [blocks.1.hook_resid_post], axes { k = [0] } }"); // TrainConfig's own check
        assertMessage("unknown training key 'nope'", "sweep { hooks = [blocks.1.hook_resid_post] }", Map.of("nope", "1"));
        assertMessage("unknown top-level key 'extra'", "extra = 1\nsweep { hooks = [blocks.1.hook_resid_post] }");
    }

    private static void assertMessage(String part, String hocon) {
        assertMessage(part, hocon, Map.of());
    }

    private static void assertMessage(String part, String hocon, Map<String, String> sets) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(hocon).with(sets));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static SweepGrid parse(String hocon) {
        return SweepGrid.fromConfig(ConfigFactory.parseString(hocon).resolve(), "test.conf");
    }
}
