package org.dfcspark.toolcall;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParserTest {

    @Test
    void hermesReadsAnyNumberOfBlocksAndKeepsIntFloat() {
        String out = "Sure.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 2, \"y\": 2.0, \"z\": [1, true, null]}}\n</tool_call>\n"
                + "<tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>\n"
                + "<tool_call>\n{\n  \"name\": \"c\",\n  \"arguments\": {\"s\": \"\\u00e9\"}\n}\n</tool_call>";
        ParsedOutput p = HermesParser.parse(out);
        assertEquals(List.of(), p.failures());
        assertEquals(3, p.calls().size());
        ToolCall a = p.calls().get(0);
        assertEquals("a", a.name());
        assertEquals(2L, a.arguments().get("x"));
        assertEquals(2.0, a.arguments().get("y"));
        assertTrue(a.arguments().get("x") instanceof Long && a.arguments().get("y") instanceof Double);
        assertEquals(java.util.Arrays.asList(1L, true, null), a.arguments().get("z"));
        assertEquals(Map.of(), p.calls().get(1).arguments());
        assertEquals("é", p.calls().get(2).arguments().get("s"));
        assertEquals(List.of("arguments", "arguments", "arguments"), p.argumentKeys());
    }

    @Test
    void toolRlReadsOneCallPerLineWithThinkAndResponse() {
        String out = "<think> I need two calls. </think>\n<tool_call>\n"
                + "{\"name\": \"a\", \"parameters\": {\"k\": 1}}\n"
                + "{\"name\": \"b\", \"parameters\": {}}\n</tool_call>\n<response> Done. </response>";
        ParsedOutput p = ToolRlParser.parse(out);
        assertEquals(List.of(), p.failures());
        assertEquals(List.of("a", "b"), p.calls().stream().map(ToolCall::name).toList());
        assertEquals(" I need two calls. ", p.think());
        assertEquals(" Done. ", p.response());
    }

    @Test
    void failuresSayWhy() {
        ParsedOutput p = ToolRlParser.parse("<tool_call>\n{\"name\": \"a\", \"parameters\": {\"k\": 1}\n"
                + "{\"name\": \"b\", \"arguments\": {}}\n"
                + "[1, 2]\n"
                + "{\"name\": \"\", \"parameters\": {}}\n"
                + "{\"name\": \"c\", \"parameters\": \"{}\"}\n"
                + "{\"name\": \"d\", \"parameters\": {}}\n</tool_call>");
        assertEquals(List.of("d"), p.calls().stream().map(ToolCall::name).toList());
        List<String> reasons = p.failures().stream().map(ParseFailure::reason).toList();
        assertEquals(List.of(
                "invalid JSON: Expecting ',' delimiter",
                "arguments under \"arguments\" instead of \"parameters\"",
                "not a JSON object but int",
                "not a JSON object but int",
                "\"name\" is not a non-empty string",
                "\"parameters\" is str, not an object"), reasons);
    }

    @Test
    void unclosedAndEmptyBlocksAreFailures() {
        ParsedOutput unclosed = HermesParser.parse("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}");
        assertEquals(1, unclosed.calls().size());
        assertEquals("unclosed <tool_call> (no </tool_call>)", unclosed.failures().get(0).reason());
        ParsedOutput empty = HermesParser.parse("<tool_call>\n\n</tool_call>");
        assertEquals("empty <tool_call> block", empty.failures().get(0).reason());
        ParsedOutput none = HermesParser.parse("no calls here </tool_call>");
        assertTrue(!none.attemptedCall());
        assertNull(none.think());
    }

    @Test
    void unclosedThinkHidesTheRest() {
        ParsedOutput p = HermesParser.parse("<think> planning <tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>");
        assertTrue(p.calls().isEmpty());
        assertEquals(" planning <tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>", p.think());
    }
}
