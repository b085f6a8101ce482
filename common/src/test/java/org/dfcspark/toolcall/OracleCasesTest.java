package org.dfcspark.toolcall;

import org.dfcspark.toolcall.bfcl.BfclScorer;
import org.dfcspark.toolcall.bfcl.BfclVerdict;
import org.dfcspark.toolcall.bfcl.DecodedCall;
import org.dfcspark.toolcall.bfcl.QwenHermesDecoder;
import org.dfcspark.py.PyError;
import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays extra oracle cases made by {@code tools/reference/bfcl_oracle.py} and
 * {@code tools/reference/scorer_oracle.py} (the unmodified Python originals judged them): BFCL categories and
 * variants the public fixtures lack (java, javascript, live, relevance) and random mutations for the seed and
 * ToolRL scorers. Also compares BFCL's decoded output (or its failure) with the fixtures' {@code decoded}.
 * Set {@code -Ddfc.oracle.cases=a.jsonl,b.jsonl} to replay larger locally generated files as well.
 */
class OracleCasesTest {

    @Test
    void bfclExtraCasesAgree() {
        List<Map<String, Object>> rows = Fixtures.load("../toolcall-scoring-extra/bfcl_extra.jsonl");
        assertTrue(rows.size() > 1000, "expected the shipped extra BFCL cases");
        assertEquals(List.of(), bfclDisagreements(rows));
    }

    @Test
    void seedAndToolRlMutationsAgree() {
        List<Map<String, Object>> seed = Fixtures.load("../toolcall-scoring-extra/seed_mutations.jsonl");
        List<Map<String, Object>> toolrl = Fixtures.load("../toolcall-scoring-extra/toolrl_mutations.jsonl");
        assertTrue(seed.size() > 500 && toolrl.size() > 500);
        List<String> bad = new ArrayList<>();
        for (Map<String, Object> row : seed) bad.addAll(seedDisagreement(row));
        for (Map<String, Object> row : toolrl) bad.addAll(toolRlDisagreement(row));
        assertEquals(List.of(), bad);
    }

    @Test
    void decodedCallsMatchTheFixtures() {
        List<String> bad = new ArrayList<>();
        for (Map<String, Object> row : Fixtures.load("bfcl_ast.jsonl")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> decoded = (Map<String, Object>) row.get("decoded");
            String raw = (String) row.get("model_result_raw");
            try {
                List<Object> calls = new ArrayList<>();
                for (DecodedCall c : QwenHermesDecoder.decode(raw)) calls.add(c.asDict());
                if (!Boolean.TRUE.equals(decoded.get("ok")) || !PyValues.eq(calls, decoded.get("calls"))) {
                    bad.add(row.get("case_id") + ": decoded " + calls + " expected " + decoded);
                }
            } catch (PyError e) {
                if (!Boolean.FALSE.equals(decoded.get("ok"))) bad.add(row.get("case_id") + ": raised " + e.getMessage());
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void locallyGeneratedOracleFilesAgree() throws IOException {
        String files = System.getProperty("dfc.oracle.cases", "");
        for (String f : files.split(",")) {
            if (f.isBlank()) continue;
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(f), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) rows.add(castMap(PythonJson.loads(line)));
            }
            List<String> bad = new ArrayList<>();
            for (Map<String, Object> row : rows) {
                if (row.containsKey("model_result_raw")) bad.addAll(bfclDisagreements(List.of(row)));
                else if (row.containsKey("solution_str")) bad.addAll(toolRlDisagreement(row));
                else bad.addAll(seedDisagreement(row));
            }
            System.out.println(f + ": " + (rows.size() - bad.size()) + "/" + rows.size() + " agree");
            bad.stream().limit(30).forEach(b -> System.out.println("  " + b));
            assertEquals(List.of(), bad);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    private static List<String> bfclDisagreements(List<Map<String, Object>> rows) {
        List<String> bad = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            BfclVerdict v = BfclScorer.score(row);
            Map<String, Object> exp = Fixtures.expected(row);
            boolean same;
            if (exp.containsKey("raises")) {
                same = exp.get("raises").equals(v.raises());
            } else {
                same = v.raises() == null && v.valid() == (Boolean) exp.get("valid")
                        && Objects.equals(v.errorType(), exp.get("error_type"))
                        && PyValues.eq(v.error(), exp.get("error"));
            }
            if (!same) bad.add(row.get("case_id") + " got " + v + " expected " + exp);
        }
        return bad;
    }

    private static List<String> seedDisagreement(Map<String, Object> row) {
        PaperScore s = PaperScorer.score((String) row.get("response"), (String) row.get("prompt"));
        Map<String, Object> exp = Fixtures.expected(row);
        boolean same = s.formatAccuracy() == (Boolean) exp.get("format_accuracy")
                && s.toolCorrectness() == (Boolean) exp.get("tool_correctness")
                && PyValues.eq((long) s.overallScore(), exp.get("overall_score"));
        return same ? List.of() : List.of(row.get("case_id") + " got " + s + " expected " + exp);
    }

    private static List<String> toolRlDisagreement(Map<String, Object> row) {
        @SuppressWarnings("unchecked")
        Map<String, String> env = (Map<String, String>) (Map<String, ?>) row.get("env");
        ToolRlScore s = ToolRlScorer.score((String) row.get("solution_str"), (String) row.get("ground_truth"), env);
        Map<String, Object> exp = Fixtures.expected(row);
        boolean same = exp.containsKey("raises") ? exp.get("raises").equals(s.raises())
                : !s.isRaised() && PyValues.eq(exp.get("score"), s.score())
                        && PyValues.eq(exp.get("format_score"), s.formatScore())
                        && PyValues.eq(exp.get("correctness_score"), s.correctnessScore());
        return same ? List.of() : List.of(row.get("case_id") + " got " + s + " expected " + exp);
    }
}
