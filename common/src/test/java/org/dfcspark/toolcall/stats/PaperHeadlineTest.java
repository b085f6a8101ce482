package org.dfcspark.toolcall.stats;

import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The paper's headline from its own per-run table (data/paper-results/results_full.jsonl, copied from the
 * seed repository): reconstruction raises model A's tool correctness by +31.17 ± 9.75 pp and model B's by
 * +6.66 ± 4.93 pp, mean ± sample std over the 47 evaluated crosscoders.
 */
class PaperHeadlineTest {

    @Test
    void statisticsReproduceThePapersHeadline() throws IOException {
        List<Map<String, Object>> runs = evaluatedRuns();
        assertEquals(47, runs.size());
        MeanStd a = MeanStd.of(column(runs, "tool_correctness_A_delta"));
        MeanStd b = MeanStd.of(column(runs, "tool_correctness_B_delta"));
        assertEquals("+31.17 ± 9.75 (n=47)", a.toString());
        assertEquals("+6.66 ± 4.93 (n=47)", b.toString());
        assertEquals(31.170212765957448, a.mean(), 1e-12);
        assertEquals(9.745275664640456, a.std(), 1e-9);
        assertEquals(6.659574468085107, b.mean(), 1e-12);
        assertEquals(4.931163526798681, b.std(), 1e-9);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> evaluatedRuns() throws IOException {
        Path file = repoRoot().resolve("data/paper-results/results_full.jsonl");
        List<Map<String, Object>> runs = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            Map<String, Object> row = (Map<String, Object>) PythonJson.loads(line);
            if (((Number) row.get("n_evaluated")).longValue() > 0) runs.add(row);
        }
        return runs;
    }

    private static double[] column(List<Map<String, Object>> rows, String field) {
        return rows.stream().mapToDouble(r -> ((Number) r.get(field)).doubleValue()).toArray();
    }

    /** The repository root: the nearest ancestor holding bin/dfc. */
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/dfc"))) p = p.getParent();
        assertTrue(p != null, "no bin/dfc above " + Path.of("").toAbsolutePath());
        return p;
    }
}
