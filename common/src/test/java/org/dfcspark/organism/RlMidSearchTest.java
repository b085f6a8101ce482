package org.dfcspark.organism;

import ai.djl.Device;
import org.dfcspark.model.Qwen2Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** rl-mid selection over whole iterates and inside the Adam step that crosses the target, on real organism models. */
class RlMidSearchTest {

    /**
     * Iterate 0 measures 0%, iterate 1 80%: the step between them is searched. The "validation rate" here is read off
     * the probe's weights (0.8 times how far one weight lies from iterate 0 towards iterate 1), so the point at
     * fraction 0.5 measures 40% and must be chosen and written, with its interpolated weights; the models offered
     * are left as they were.
     */
    @Test
    void searchesInsideTheStepThatCrossesTheTarget(@TempDir Path tmp) throws Exception {
        try (Qwen2Model before = OrganismModel.random(1); Qwen2Model after = OrganismModel.random(2);
             Qwen2Model probe = OrganismModel.random(3)) {
            float b0 = first(before), a0 = first(after);
            float[] afterWeights = after.parameters().get("model.embed_tokens.weight").toFloatArray();
            Path out = tmp.resolve("rl-mid");
            RlMidSearch search = new RlMidSearch(probe, m -> 0.8 * (first(m) - b0) / (a0 - b0), out, System.out::println);

            search.offer(0, 0.0, before);
            assertTrue(search.stepPoints().isEmpty(), "no step before the first iterate");
            search.offer(1, 0.8, after);

            assertEquals(RlMidSearch.STEP_POINTS, search.stepPoints().size());
            RlMidSearch.Point best = search.best();
            assertEquals(0, best.iteration());
            assertEquals(0.5, best.fraction(), 1e-9);
            assertEquals(0.4, best.validStrict(), 1e-3);
            try (Qwen2Model saved = Qwen2Model.load(out, Device.cpu())) {
                assertEquals(b0 + 0.5f * (a0 - b0), first(saved), 1e-6f);
            }
            assertEquals(a0, first(after));
            assertArrayEquals(afterWeights, after.parameters().get("model.embed_tokens.weight").toFloatArray());
        }
    }

    /** Iterates that do not straddle the target are taken as they are; rates outside the band write nothing. */
    @Test
    void wholeIteratesInsideTheBandOnly(@TempDir Path tmp) throws Exception {
        try (Qwen2Model m1 = OrganismModel.random(1); Qwen2Model m2 = OrganismModel.random(2);
             Qwen2Model probe = OrganismModel.random(3)) {
            Path out = tmp.resolve("rl-mid");
            RlMidSearch search = new RlMidSearch(probe, m -> fail("no step to search"), out, System.out::println);
            search.offer(0, 0.20, m1);
            assertNull(search.best());
            search.offer(1, 0.36, m2);
            assertEquals(List.of(), search.stepPoints());
            assertEquals(1, search.best().iteration());
            assertEquals(0.0, search.best().fraction());
            try (Qwen2Model saved = Qwen2Model.load(out, Device.cpu())) {
                assertEquals(first(m2), first(saved));
            }
        }
    }

    private static float first(Qwen2Model m) {
        return m.parameters().get("model.embed_tokens.weight").toFloatArray()[5];
    }
}
