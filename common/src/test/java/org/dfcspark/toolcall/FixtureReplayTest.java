package org.dfcspark.toolcall;

import org.dfcspark.toolcall.bfcl.BfclScorer;
import org.dfcspark.toolcall.bfcl.BfclVerdict;
import org.dfcspark.py.PyValues;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Replays the oracle verdicts of the three original Python scorers (toolcall-scoring fixtures, produced by
 * running the unmodified originals) and requires 100% agreement on every case.
 */
class FixtureReplayTest {

    @Test
    void paperScorerAgreesWithSeedOnEveryCase() {
        List<Map<String, Object>> rows = Fixtures.load("seed_scorer.jsonl");
        List<String> disagreements = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            PaperScore s = PaperScorer.score((String) row.get("response"), (String) row.get("prompt"));
            Map<String, Object> exp = Fixtures.expected(row);
            @SuppressWarnings("unchecked")
            Map<String, Object> inter = (Map<String, Object>) row.get("intermediate");
            boolean same = s.formatAccuracy() == (Boolean) exp.get("format_accuracy")
                    && s.toolCorrectness() == (Boolean) exp.get("tool_correctness")
                    && PyValues.eq((long) s.overallScore(), exp.get("overall_score"))
                    && PyValues.eq(new ArrayList<Object>(s.promptToolNames()), inter.get("prompt_tool_names"))
                    && s.calledName().equals(inter.get("called_name"));
            if (!same) disagreements.add(row.get("case_id") + " got " + s + " expected " + exp);
        }
        report("seed_scorer", rows.size(), disagreements);
        assertEquals(542, rows.size());
    }

    @Test
    void toolRlScorerAgreesWithRllaOnEveryCase() {
        List<Map<String, Object>> rows = Fixtures.load("toolrl_reward.jsonl");
        List<String> disagreements = new ArrayList<>();
        int raised = 0;
        for (Map<String, Object> row : rows) {
            @SuppressWarnings("unchecked")
            Map<String, String> env = (Map<String, String>) (Map<String, ?>) row.get("env");
            ToolRlScore s = ToolRlScorer.score((String) row.get("solution_str"), (String) row.get("ground_truth"), env);
            Map<String, Object> exp = Fixtures.expected(row);
            boolean same;
            if (exp.containsKey("raises")) {
                same = exp.get("raises").equals(s.raises());
                raised++;
            } else {
                same = !s.isRaised()
                        && exp.get("score") instanceof Double && (Double) exp.get("score") == s.score()
                        && exp.get("format_score") instanceof Double && (Double) exp.get("format_score") == s.formatScore()
                        && exp.get("correctness_score") instanceof Double
                        && (Double) exp.get("correctness_score") == s.correctnessScore()
                        && PyValues.eq(exp.get("length_score"), (long) s.lengthScore())
                        && PyValues.isInt(exp.get("length_score"));
            }
            if (!same) disagreements.add(row.get("case_id") + " got " + s + " expected " + exp);
        }
        report("toolrl_reward", rows.size(), disagreements);
        assertEquals(502, rows.size());
        assertEquals(49, raised);
    }

    @Test
    void bfclScorerAgreesWithAstCheckerOnEveryCase() {
        List<Map<String, Object>> rows = Fixtures.load("bfcl_ast.jsonl");
        List<String> disagreements = new ArrayList<>();
        int valid = 0;
        int sameMessages = 0;
        for (Map<String, Object> row : rows) {
            BfclVerdict v = BfclScorer.score(row);
            Map<String, Object> exp = Fixtures.expected(row);
            boolean same = v.valid() == (Boolean) exp.get("valid")
                    && java.util.Objects.equals(v.errorType(), exp.get("error_type"));
            if (!same) disagreements.add(row.get("case_id") + " got " + v.valid() + "/" + v.errorType()
                    + " expected " + exp.get("valid") + "/" + exp.get("error_type") + " " + v.error());
            if (v.valid()) valid++;
            if (PyValues.eq(v.error(), exp.get("error"))) sameMessages++;
        }
        report("bfcl_ast", rows.size(), disagreements);
        System.out.println("bfcl_ast: error messages identical on " + sameMessages + "/" + rows.size());
        assertEquals(1309, rows.size());
        assertEquals(635, valid);
    }

    private static void report(String file, int total, List<String> disagreements) {
        System.out.println(file + ": " + (total - disagreements.size()) + "/" + total + " agree");
        disagreements.stream().limit(20).forEach(d -> System.out.println("  " + d));
        assertEquals(List.of(), disagreements, file + ": disagreements with the original scorer");
    }
}
