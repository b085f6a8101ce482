package org.dfcspark.toolcall;

import org.dfcspark.toolcall.bfcl.BfclScorer;
import org.dfcspark.toolcall.bfcl.BfclVerdict;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the faithful scorers and the record scorer do with inputs they cannot take. */
class ScorerInputsTest {

    @Test
    void toolRlRejectsRewardSwitchesAndRaisesLikeTheOriginalOnUnknownModels() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ToolRlScorer.score("x", "y", Map.of("EXPERIMENT_NAME", "qwen", "CORRECTMAX1", "1")));
        assertEquals("ToolRL reward switch CORRECTMAX1=1 is not supported (only the training default is reproduced)", e.getMessage());
        // a switch set to anything but "1" is off in the original too
        assertTrue(!ToolRlScorer.score("x", "y", Map.of("EXPERIMENT_NAME", "qwen", "CORRECTMAX1", "0")).isRaised());
        ToolRlScore unknown = ToolRlScorer.score("x", "y", Map.of());
        assertEquals("NotImplementedError", unknown.raises());
        assertEquals("Unknown model name: ", unknown.message());
    }

    @Test
    void bfclRejectsCategoriesItDoesNotAstScoreAndReportsCrashesOfTheOriginal() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BfclScorer.score("multi_turn_base", List.of(), List.of(), "", false));
        assertEquals("BFCL category 'multi_turn_base' is not scored by the AST checker", e.getMessage());
        // A possible answer naming a function missing from the docs crashes BFCL's evaluator (None["name"]).
        String out = "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>";
        BfclVerdict v = BfclScorer.score("parallel", List.of(Map.of("name", "g", "parameters", Map.of())),
                List.of(Map.of("f", Map.of())), out, false);
        assertEquals("TypeError", v.raises());
        assertEquals(List.of("'NoneType' object is not subscriptable"), v.error());
    }

    @Test
    void recordScorerNamesTheMissingOrMistypedField() {
        assertEquals("missing field 'output'", assertThrows(IllegalArgumentException.class,
                () -> RecordScorer.score("strict", Map.of("gold_kind", "irrelevance"))).getMessage());
        assertEquals("field 'tools' must be a list of tool schemas", assertThrows(IllegalArgumentException.class,
                () -> RecordScorer.score("strict", Map.of("output", "", "gold_kind", "irrelevance", "tools", "x"))).getMessage());
        assertEquals("field 'functions' must be a list", assertThrows(IllegalArgumentException.class,
                () -> RecordScorer.score("bfcl", Map.of("category", "simple_python", "model_result_raw", ""))).getMessage());
        assertEquals("field 'env' must be an object of environment variables", assertThrows(IllegalArgumentException.class,
                () -> RecordScorer.score("toolrl", Map.of("solution_str", "", "ground_truth", "", "env", "qwen"))).getMessage());
        assertEquals("unknown scorer 'exact' (expected one of [paper, toolrl, bfcl, strict])",
                assertThrows(IllegalArgumentException.class, () -> RecordScorer.score("exact", Map.of())).getMessage());
    }
}
