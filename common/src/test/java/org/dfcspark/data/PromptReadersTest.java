package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** The common readers on the data the project ships (data/), and on corrupted inputs. */
class PromptReadersTest {

    static Map<String, Long> kinds(List<PromptRecord> rs) {
        return new TreeMap<>(rs.stream().collect(Collectors.groupingBy(PromptRecord::goldKind, Collectors.counting())));
    }

    static PromptRecord byId(List<PromptRecord> rs, String id) {
        return rs.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    static PromptFiles.Result bfcl(String category) {
        Path q = ProjectPaths.data("bfcl/BFCL_v4_" + category + ".json");
        Path a = ProjectPaths.data("bfcl/possible_answer/BFCL_v4_" + category + ".json");
        return PromptFiles.read(q, new BfclConverter(category, Files.exists(a) ? BfclAnswers.read(a) : Map.of()));
    }

    @Test
    void toolRlTestSplit() {
        PromptFiles.Result res = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test"));
        assertEquals(List.of(), res.quarantined());
        assertEquals(80, res.records().size());
        assertEquals(Map.of("response", 9L, "tool_call", 71L), kinds(res.records()));
        PromptRecord r = byId(res.records(), "toolrl_test:0");
        assertEquals("toolrl", r.source());
        assertEquals("test", r.split());
        assertEquals("rlla", r.category());
        assertEquals(List.of(new Message("user", "Hey, I'm looking to stay current on Azure services. Could you fetch the latest news on that topic for me?")), r.messages());
        assertEquals(4, r.tools().size());
        assertEquals("{\"name\": \"GetPowerBINews\", \"description\": \"Retrieve news related to Power BI.\", \"parameters\": "
                + "{\"page\": {\"description\": \"The page number to retrieve.\", \"type\": \"int\", \"default\": \"\"}}}", r.tools().get(0));
        assertEquals("[{\"name\": \"GetNews\", \"arguments\": {\"page\": \"1\"}}]", r.gold());
        assertEquals("tool_call", r.goldKind());
        assertEquals("<think> I should use the appropriate tool with proper parameters to respond to the user's need. </think>\n"
                + "<tool_call>\n{\"name\": \"GetNews\", \"parameters\": {\"page\": \"1\"}}\n</tool_call>", r.extras().get("ground_truth"));
        assertEquals("0", r.extras().get("index"));
        // a multi-turn row: the history is split into user / assistant / tool turns
        assertTrue(res.records().stream().anyMatch(x -> x.messages().stream().anyMatch(m -> m.role().equals("tool"))));
    }

    @Test
    void toolRlSftFile() {
        PromptFiles.Result res = PromptFiles.read(ProjectPaths.data("toolrl/rlla_sft.json"), new ToolRlConverter("rlla_sft", "train"));
        assertEquals(List.of(), res.quarantined());
        assertEquals(400, res.records().size());
        // 341 tool-only + 5 with both a call and a response; 54 response-only
        assertEquals(Map.of("response", 54L, "tool_call", 346L), kinds(res.records()));
        PromptRecord r = byId(res.records(), "rlla_sft:0");
        assertEquals("train", r.split());
        assertEquals("rlla_sft", r.category());
        assertTrue(r.extras().get("ground_truth").startsWith("<think>"));
    }

    @Test
    void bfclEveryShippedCategory() {
        Map<String, Integer> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("simple_python", 400), Map.entry("simple_java", 100), Map.entry("simple_javascript", 50),
                Map.entry("multiple", 200), Map.entry("parallel", 200), Map.entry("parallel_multiple", 200),
                Map.entry("irrelevance", 240), Map.entry("live_simple", 258), Map.entry("live_multiple", 100),
                Map.entry("live_parallel", 16), Map.entry("live_parallel_multiple", 24), Map.entry("live_relevance", 16),
                Map.entry("live_irrelevance", 100)));
        for (var e : expected.entrySet()) {
            PromptFiles.Result res = bfcl(e.getKey());
            assertEquals(List.of(), res.quarantined(), e.getKey());
            assertEquals(e.getValue(), res.records().size(), e.getKey());
            String kind = e.getKey().contains("irrelevance") ? "irrelevance" : "tool_call";
            assertTrue(res.records().stream().allMatch(r -> r.goldKind().equals(kind) && r.category().equals(e.getKey())), e.getKey());
            boolean hasGold = !e.getKey().contains("relevance");
            assertTrue(res.records().stream().allMatch(r -> (r.gold() != null) == hasGold), e.getKey());
        }
    }

    @Test
    void bfclExactRows() {
        PromptRecord r = byId(bfcl("simple_python").records(), "simple_python_0");
        assertEquals(List.of(new Message("user", "Find the area of a triangle with a base of 10 units and height of 5 units.")), r.messages());
        assertEquals("[{\"name\": \"calculate_triangle_area\", \"arguments\": {\"base\": 10, \"height\": 5, \"unit\": \"units\"}}]", r.gold());
        assertEquals("[{\"calculate_triangle_area\": {\"base\": [10], \"height\": [5], \"unit\": [\"units\", \"\"]}}]", r.extras().get("possible_answer"));
        assertEquals("python", r.extras().get("language"));
        assertTrue(r.tools().get(0).startsWith("{\"name\": \"calculate_triangle_area\", \"description\": "));

        PromptRecord live = byId(bfcl("live_multiple").records(), "live_multiple_0-0-0");
        assertEquals("[{\"name\": \"ChaDri.change_drink\", \"arguments\": {\"drink_id\": \"latte\", \"new_preferences\": "
                + "{\"size\": \"large\", \"milk_type\": \"coconut\", \"sweetness_level\": \"extra\", \"temperature\": \"hot\", "
                + "\"special_instructions\": \"served boiling hot\"}}}]", live.gold());

        assertEquals("java", bfcl("simple_java").records().get(0).extras().get("language"));
        // a literal map among the acceptable values is a value, not a nested answer
        assertEquals("[{\"name\": \"DateScriptFieldType.createFieldType\", \"arguments\": {\"name\": \"timestamp\", "
                + "\"factory\": \"dateFactory\", \"script\": \"dateScript\", \"meta\": {\"format\": \"epoch_millis\"}, "
                + "\"onScriptError\": \"FAIL\"}}]", byId(bfcl("simple_java").records(), "simple_java_64").gold());
        PromptRecord irr = byId(bfcl("irrelevance").records(), "irrelevance_0");
        assertNull(irr.gold());
        assertFalse(irr.extras().containsKey("possible_answer"));
        // live categories may open with a system message
        assertTrue(bfcl("live_simple").records().stream().anyMatch(x -> x.messages().get(0).role().equals("system")));
    }

    @Test
    void glaiveConversations() {
        PromptFiles.Result res = PromptFiles.read(ProjectPaths.data("glaive/glaive_toolcall_en_demo.json"),
                new ShareGptConverter("glaive_toolcall_en_demo", "train"));
        assertEquals(List.of(), res.quarantined());
        // one prompt per assistant turn: 746 gpt turns + 211 function_call turns in 300 conversations
        assertEquals(957, res.records().size());
        assertEquals(Map.of("response", 746L, "tool_call", 211L), kinds(res.records()));
        PromptRecord call = byId(res.records(), "glaive_toolcall_en_demo:0:3");
        assertEquals(List.of(
                new Message("user", "Hi, I have some ingredients and I want to cook something. Can you help me find a recipe?"),
                new Message("assistant", "Of course! I can help you with that. Please tell me what ingredients you have."),
                new Message("user", "I have chicken, bell peppers, and rice.")), call.messages());
        assertEquals("[{\"name\": \"search_recipes\", \"arguments\": {\"ingredients\": [\"chicken\", \"bell peppers\", \"rice\"]}}]", call.gold());
        assertEquals(List.of("{\"name\": \"search_recipes\", \"description\": \"Search for recipes based on ingredients\", \"parameters\": "
                + "{\"type\": \"object\", \"properties\": {\"ingredients\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, "
                + "\"description\": \"The ingredients to search for\"}}, \"required\": [\"ingredients\"]}}"), call.tools());
        PromptRecord after = byId(res.records(), "glaive_toolcall_en_demo:0:5");
        assertEquals("response", after.goldKind());
        assertEquals(new Message("assistant", "<tool_call>\n{\"name\": \"search_recipes\", \"arguments\": {\"ingredients\": "
                + "[\"chicken\", \"bell peppers\", \"rice\"]}}\n</tool_call>"), after.messages().get(3));
        assertEquals("tool", after.messages().get(4).role());
        assertTrue(after.extras().get("response").startsWith("I found two recipes for you."));
    }

    @Test
    void textCorpus(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("web.jsonl");
        Files.writeString(f, "{\"text\": \"The cat sat.\", \"url\": \"http://a\"}\n{\"id\": 7, \"text\": \"Second doc\", \"score\": 0.5}\n"
                + "{\"text\": \"\"}\n{\"title\": \"no text\"}\n");
        PromptFiles.Result res = PromptFiles.read(f, new TextConverter("web", "train"));
        assertEquals(2, res.records().size());
        PromptRecord a = res.records().get(0);
        assertEquals("web:0", a.id());
        assertEquals(List.of(new Message("user", "The cat sat.")), a.messages());
        assertEquals("none", a.goldKind());
        assertEquals(Map.of("url", "http://a"), a.extras());
        assertEquals("7", res.records().get(1).id());
        assertEquals(Map.of("score", "0.5"), res.records().get(1).extras());
        assertEquals(List.of("empty \"text\"", "no \"text\" field"), res.quarantined().stream().map(QuarantinedRow::reason).toList());
        assertEquals(List.of(2L, 3L), res.quarantined().stream().map(QuarantinedRow::row).toList());
    }

    @Test
    void corruptedRowsGoToQuarantineWithTheirReason(@TempDir Path dir) throws Exception {
        List<String> good = Files.readAllLines(ProjectPaths.data("toolrl/test.jsonl")).subList(0, 2);
        String tamperedSystem = good.get(0).replace("1. Name: GetPowerBINews", "1) Name: GetPowerBINews");
        String noAnswer = good.get(1).replace("\"ground_truth\"", "\"answer\"");
        String badCall = good.get(0).replace("{\\\"name\\\": \\\"GetNews\\\", \\\"parameters\\\": {\\\"page\\\": \\\"1\\\"}}", "{\\\"name\\\": \\\"GetNews\\\", ");
        Path f = dir.resolve("mixed.jsonl");
        Files.write(f, List.of(good.get(0), "{\"data_source\": \"rlla\", \"prompt\": [", "", tamperedSystem, noAnswer, badCall, "[1, 2]", good.get(1)));
        PromptFiles.Result res = PromptFiles.read(f, new ToolRlConverter("mixed", "test"));
        assertEquals(List.of("toolrl_test:0", "toolrl_test:1"), res.records().stream().map(PromptRecord::id).toList());
        assertEquals(6, res.quarantined().size());
        List<String> reasons = res.quarantined().stream().map(QuarantinedRow::reason).toList();
        assertTrue(reasons.get(0).startsWith("malformed JSON"), reasons.get(0));
        assertEquals("blank line", reasons.get(1));
        assertEquals("not a ToolRL prompt: tool 1 is not '1. Name: …\\nDescription: …\\nParameters: …'", reasons.get(2));
        assertEquals("no \"ground_truth\" field", reasons.get(3));
        assertEquals("ground truth: tool call line is not JSON: {\"name\": \"GetNews\", ", reasons.get(4));
        assertEquals("not a JSON object", reasons.get(5));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), res.quarantined().stream().map(QuarantinedRow::row).toList());
        QuarantinedRow q = res.quarantined().get(2);
        assertEquals("toolrl", q.source());
        assertEquals("mixed.jsonl", q.file());
        assertEquals(tamperedSystem, q.raw(), "the raw row is kept whole");
    }

    @Test
    void bfclWithoutItsAnswerAndMultiTurn(@TempDir Path dir) throws Exception {
        String line = Files.readAllLines(ProjectPaths.data("bfcl/BFCL_v4_simple_python.json")).get(0);
        String twoTurns = line.replace("\"question\": [[", "\"question\": [[{\"role\": \"user\", \"content\": \"x\"}], [");
        Path f = dir.resolve("BFCL_v4_simple_python.json");
        Files.write(f, List.of(line, twoTurns));
        PromptFiles.Result res = PromptFiles.read(f, new BfclConverter("simple_python", Map.of()));
        assertEquals(List.of("no possible answer for id simple_python_0",
                "question has 2 turns; multi-turn BFCL entries need executed tool results between turns and are not supported"),
                res.quarantined().stream().map(QuarantinedRow::reason).toList());
    }

    @Test
    void shareGptBadTurns(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("conv.json");
        Files.writeString(f, "[{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"robot\", \"value\": \"x\"}], \"tools\": \"[]\"},"
                + "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"function_call\", \"value\": \"{\\\"name\\\": \\\"f\\\"\"}], \"tools\": \"[]\"},"
                + "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}], \"tools\": \"[{\\\"description\\\": \\\"nameless\\\"}]\"},"
                + "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"hello\"}]}]");
        PromptFiles.Result res = PromptFiles.read(f, new ShareGptConverter("conv", "train"));
        assertEquals(1, res.records().size());
        assertEquals(List.of("turn 1: unknown speaker 'robot'"), res.quarantined().stream().limit(1).map(QuarantinedRow::reason).toList());
        assertTrue(res.quarantined().get(1).reason().startsWith("turn 1 function_call: malformed JSON"), res.quarantined().get(1).reason());
        assertEquals("a tool has no name", res.quarantined().get(2).reason());
    }

    @Test
    void malformedJsonArrayFileIsAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("broken.json");
        Files.writeString(f, "[{\"conversations\": []}, {");
        var e = assertThrows(IllegalArgumentException.class, () -> PromptFiles.read(f, new ShareGptConverter("broken", "train")));
        assertTrue(e.getMessage().startsWith(f + ": malformed JSON"), e.getMessage());
    }
}
