package org.dfcspark.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.toolcall.stats.MeanStd;
import org.junit.jupiter.api.Test;

/** The paper's numbers as the report reads them from data/paper-results/. */
class PaperResultsTest {
    @Test
    void theHeadlineIsRecomputedFromThePapersOwnFilesAndItsStatedValuesAreRead() throws IOException {
        PaperResults p = PaperResults.load(ProjectPaths.data("paper-results"));
        assertEquals("+31.17 ± 9.75 (n=47)", p.reconstructionA().toString());
        assertEquals("+6.66 ± 4.93 (n=47)", p.spilloverB().toString());
        assertEquals(48, p.sweepSize(), "models.jsonl lists the 48-crosscoder sweep");
        assertEquals(19.0, p.clean("A"), 1e-9, "the paper's clean A rate (19%)");
        assertEquals(0.0, p.clean("B"), 1e-9);
        assertEquals("chengq9/ToolRL-Qwen2.5-3B", p.modelA());
        PaperResults.Stated s = p.stated();
        assertEquals(31.1, s.aMean());
        assertEquals(9.7, s.aStd());
        assertEquals(6.8, s.bMean());
        assertEquals(5.0, s.bStd());
        assertEquals(65.0, s.steerMean());
        assertEquals(47.9, s.steerLower());
        assertEquals(82.1, s.steerUpper());
        assertEquals(136, s.steerFeature());
        // the stated A headline is the recomputed one cut to one decimal; B is not (6.66 ± 4.93 vs 6.8 ± 5.0)
        assertEquals(s.aMean(), Math.floor(p.reconstructionA().mean() * 10) / 10, 1e-9);
        assertEquals(s.aStd(), Math.floor(p.reconstructionA().std() * 10) / 10, 1e-9);
        var steer = p.steeringBByScale();
        assertEquals(3, steer.size(), "scale factors 2, 5, 10");
        for (MeanStd m : steer.values()) assertEquals(35, m.n(), "35 steered DFCs per scale");
        assertTrue(steer.values().stream().map(MeanStd::toString).distinct().count() == 1, "the paper's B steering gives the same Δ at every scale");
    }
}
