package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.data.Rendering.Mode;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RenderingTest {
    static ChatTemplate qwen;

    @BeforeAll
    static void load() {
        qwen = ChatTemplate.load(ProjectPaths.data("tokenizers/qwen2.5"));
    }

    static List<Map<String, Object>> msgs(String system, String user) {
        return List.of(Map.of("role", "system", "content", system), Map.of("role", "user", "content", user));
    }

    /** Every ToolRL row, test split and SFT file: raw and toolrl renderings give back ToolRL's own prompt. */
    @Test
    void toolRlRowsRenderToTheirOriginalPrompt() throws Exception {
        Rendering raw = Rendering.of(Mode.RAW, null);
        Rendering toolrl = Rendering.of(Mode.TOOLRL, qwen);
        List<PromptRecord> test = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test")).records();
        List<String> lines = Files.readAllLines(ProjectPaths.data("toolrl/test.jsonl"));
        assertEquals(80, test.size());
        for (int i = 0; i < lines.size(); i++) {
            Map<?, ?> row = (Map<?, ?>) PythonJson.parse(lines.get(i));
            List<?> prompt = (List<?>) row.get("prompt");
            String system = (String) ((Map<?, ?>) prompt.get(0)).get("content");
            String user = (String) ((Map<?, ?>) prompt.get(1)).get("content");
            PromptRecord r = test.get(i);
            assertEquals(system + "\n" + user, raw.render(r), r.id());
            assertEquals(qwen.render(msgs(system, user), null, true), toolrl.render(r), r.id());
        }
        List<PromptRecord> sft = PromptFiles.read(ProjectPaths.data("toolrl/rlla_sft.json"), new ToolRlConverter("rlla_sft", "train")).records();
        List<?> rows = (List<?>) PythonJson.parse(Files.readString(ProjectPaths.data("toolrl/rlla_sft.json")));
        assertEquals(400, sft.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<?, ?> row = (Map<?, ?>) rows.get(i);
            assertEquals(row.get("instruction") + "\n" + row.get("input"), raw.render(sft.get(i)), sft.get(i).id());
        }
    }

    /** The Qwen function-calling example as a prompt record: chat mode is the golden render plus the generation prompt. */
    @SuppressWarnings("unchecked")
    @Test
    void chatModeReproducesTheGoldenRender() throws Exception {
        Map<String, Object> input;
        String golden;
        try (InputStream in = getClass().getResourceAsStream("/text/qwen2.5/golden_render_qwen_doc_example.input.json");
             InputStream g = getClass().getResourceAsStream("/text/qwen2.5/golden_render_qwen_doc_example.txt")) {
            input = (Map<String, Object>) PythonJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            golden = new String(g.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Message> messages = new ArrayList<>();
        for (Map<String, Object> m : (List<Map<String, Object>>) input.get("messages")) {
            String content = (String) m.get("content");
            if (m.get("tool_calls") instanceof List<?> calls) {
                // an assistant's calls are kept as the Hermes text the template writes for them
                List<String> blocks = new ArrayList<>();
                for (Object c : calls) blocks.add("<tool_call>\n" + PythonJson.dumps(((Map<?, ?>) c).get("function")) + "\n</tool_call>");
                content = String.join("\n", blocks);
            }
            messages.add(new Message((String) m.get("role"), content));
        }
        List<String> tools = new ArrayList<>();
        for (Map<String, Object> t : (List<Map<String, Object>>) input.get("tools")) tools.add(PythonJson.dumps(t.get("function")));
        PromptRecord r = new PromptRecord("qwen-doc", "sharegpt", "test", "doc", messages, tools, null, "response", Map.of());
        String out = Rendering.of(Mode.CHAT, qwen).render(r);
        assertEquals(golden + "<|im_start|>assistant\n", out);
        assertEquals(out, Rendering.of(Mode.CHAT, qwen).render(r), "deterministic");
    }

    @Test
    void bfclRecordInEachMode() {
        Map<String, String> answers = BfclAnswers.read(ProjectPaths.data("bfcl/possible_answer/BFCL_v4_simple_python.json"));
        PromptRecord r = PromptFiles.read(ProjectPaths.data("bfcl/BFCL_v4_simple_python.json"),
                new BfclConverter("simple_python", answers)).records().get(0);
        String tool = "{\"name\": \"calculate_triangle_area\", \"description\": \"Calculate the area of a triangle given its base and height.\", "
                + "\"parameters\": {\"type\": \"dict\", \"properties\": {\"base\": {\"type\": \"integer\", \"description\": \"The base of the triangle.\"}, "
                + "\"height\": {\"type\": \"integer\", \"description\": \"The height of the triangle.\"}, \"unit\": {\"type\": \"string\", "
                + "\"description\": \"The unit of measure (defaults to 'units' if not specified)\"}}, \"required\": [\"base\", \"height\"]}}";
        String question = "Find the area of a triangle with a base of 10 units and height of 5 units.";
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
                + "You may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": " + tool + "}\n</tools>\n\n"
                + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
                + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n", Rendering.of(Mode.CHAT, qwen).render(r));
        String system = ToolRlFormat.PREAMBLE + "1. Name: calculate_triangle_area\nDescription: Calculate the area of a triangle given its base and height.\n"
                + "Parameters: {\"type\": \"dict\", \"properties\": {\"base\": {\"type\": \"integer\", \"description\": \"The base of the triangle.\"}, "
                + "\"height\": {\"type\": \"integer\", \"description\": \"The height of the triangle.\"}, \"unit\": {\"type\": \"string\", "
                + "\"description\": \"The unit of measure (defaults to 'units' if not specified)\"}}, \"required\": [\"base\", \"height\"]}" + ToolRlFormat.STEPS;
        String user = "**Dialogue Records History**\n<user> " + question + " </user>";
        assertEquals(system + "\n" + user, Rendering.of(Mode.RAW, null).render(r));
        assertEquals("<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n",
                Rendering.of(Mode.TOOLRL, qwen).render(r));
    }

    @Test
    void systemMessagesAndTextRecords() {
        PromptRecord withSystem = new PromptRecord("s", "bfcl", "test", "live_simple",
                List.of(new Message("system", "Answer in French."), new Message("user", "hi")),
                List.of("{\"name\": \"f\", \"description\": \"d\", \"parameters\": {}}"), null, "irrelevance", Map.of());
        assertEquals(ToolRlFormat.PREAMBLE + "1. Name: f\nDescription: d\nParameters: {}" + ToolRlFormat.STEPS + "\n\nAnswer in French.\n"
                + "**Dialogue Records History**\n<user> hi </user>", Rendering.of(Mode.RAW, null).render(withSystem));
        PromptRecord text = new PromptRecord("t", "text", "train", "web", List.of(new Message("user", "Plain text.")), List.of(), null, "none", Map.of());
        assertEquals("Plain text.", Rendering.of(Mode.RAW, null).render(text));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nPlain text.<|im_end|>\n<|im_start|>assistant\n", Rendering.of(Mode.CHAT, qwen).render(text));
    }

    @Test
    void modes() {
        assertEquals(Mode.TOOLRL, Mode.parse("toolrl"));
        var e = assertThrows(IllegalArgumentException.class, () -> Mode.parse("hermes"));
        assertEquals("unknown rendering 'hermes' (raw | chat | toolrl)", e.getMessage());
        assertThrows(NullPointerException.class, () -> Rendering.of(Mode.CHAT, null));
    }
}
