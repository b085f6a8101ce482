package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.PromptRecord.Message;
import org.junit.jupiter.api.Test;

/** All four scorers on an organism-style record (JSON-schema tools, hermes output), and on a plain-text record. */
class GenerationScoresTest {
    static final String WEATHER = "{\"name\": \"get_weather\", \"description\": \"Weather in a city.\", \"parameters\": {\"type\": \"object\", "
            + "\"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}, \"temp\": {\"type\": \"number\"}}, "
            + "\"required\": [\"city\", \"days\"]}}";
    static final String ALARM = "{\"name\": \"set_alarm\", \"description\": \"Sets an alarm.\", \"parameters\": {\"type\": \"object\", "
            + "\"properties\": {\"time\": {\"type\": \"string\"}}, \"required\": [\"time\"]}}";
    static final PromptRecord REQUEST = new PromptRecord("w:1", "organism", "test", "tool", List.of(new Message("user", "Weather in Oslo for 3 days?")),
            List.of(WEATHER, ALARM), "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}}]", "tool_call", Map.of());

    static String call(String args) {
        return call("arguments", args);
    }

    static String call(String key, String args) {
        return "<tool_call>\n{\"name\": \"get_weather\", \"" + key + "\": " + args + "}\n</tool_call>";
    }

    @Test
    void aRightCallIsRightForEveryScorer() {
        GenerationScores s = GenerationScores.of(REQUEST, call("{\"city\": \"Oslo\", \"days\": 3}"));
        assertTrue(s.strictCorrect());
        assertTrue(s.paperFormat() && s.paperToolCorrect());
        assertEquals(2, s.paperOverall());
        assertTrue(s.bfclValid(), s.bfclErrorType());
        // ToolRL reads ToolRL's own "parameters" key (faithfully): Qwen's hermes "arguments" scores as no parameters
        assertFalse(s.toolrlCorrect());
        GenerationScores toolRlFormat = GenerationScores.of(REQUEST, call("parameters", "{\"city\": \"Oslo\", \"days\": 3}"));
        assertEquals(GenerationScores.TOOLRL_MAX_CORRECTNESS, toolRlFormat.toolrlCorrectness());
        assertTrue(toolRlFormat.toolrlCorrect());
        assertTrue(toolRlFormat.strictCorrect(), "strict reads either format");
    }

    @Test
    void wrongArgumentsFailTheArgumentCheckersButNotThePaperScorer() {
        GenerationScores s = GenerationScores.of(REQUEST, call("{\"city\": \"Bergen\", \"days\": 3}"));
        assertFalse(s.strictCorrect());
        assertTrue(s.paperToolCorrect(), "the paper scorer reads only the name");
        assertFalse(s.toolrlCorrect());
        assertFalse(s.bfclValid());
        GenerationScores none = GenerationScores.of(REQUEST, "It will be sunny.");
        assertFalse(none.strictCorrect() || none.paperFormat() || none.bfclValid());
    }

    @Test
    void aPlainTextPromptHasNoToolRlOrBfclVerdict() {
        PromptRecord text = new PromptRecord("t", "organism", "test", "generic", List.of(new Message("user", "Tell me about tea.")),
                List.of(), null, "none", Map.of());
        GenerationScores s = GenerationScores.of(text, "Tea is a drink.");
        assertTrue(s.strictCorrect(), "no call where none is expected");
        assertNull(s.toolrlCorrect());
        assertNull(s.bfclValid());
    }
}
