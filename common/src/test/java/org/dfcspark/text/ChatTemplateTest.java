package org.dfcspark.text;

import org.dfcspark.data.ProjectPaths;
import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ChatTemplateTest {
    static final Path QWEN = ProjectPaths.data("tokenizers/qwen2.5");
    static ChatTemplate qwen;

    @BeforeAll
    static void load() {
        qwen = ChatTemplate.load(QWEN);
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/text/qwen2.5/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void rendersQwenFunctionCallingExampleByteForByte() throws Exception {
        Map<String, Object> input = (Map<String, Object>) PythonJson.parse(resource("golden_render_qwen_doc_example.input.json"));
        String expected = resource("golden_render_qwen_doc_example.txt");
        String got = qwen.render((List<Map<String, Object>>) input.get("messages"),
                (List<Map<String, Object>>) input.get("tools"), false);
        assertEquals(expected, got);
    }

    @Test
    void addGenerationPromptAndNoTools() {
        String out = qwen.render(List.of(Map.of("role", "user", "content", "hi")), null, true);
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", out);
    }

    @Test
    void raiseExceptionBecomesAnError() {
        ChatTemplate t = ChatTemplate.of("{{ raise_exception('only user messages') }}", Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), null, false));
        assertEquals("chat template: only user messages", e.getMessage());
    }

    @Test
    void templateSyntaxErrorIsReported() {
        ChatTemplate t = ChatTemplate.of("{% if messages %}never closed", Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), null, false));
        assertTrue(e.getMessage().startsWith("chat template: ") && e.getMessage().contains("endif"), e.getMessage());
    }

    @Test
    void strftimeNow() {
        String year = Integer.toString(java.time.LocalDate.now().getYear());
        assertEquals(year, ChatTemplate.of("{{ strftime_now('%Y') }}", Map.of()).render(List.of(), null, false));
    }

    @Test
    void templateFromChatTemplateJinjaFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}{{ m.content }}{% endfor %}\n");
        assertEquals("ab", ChatTemplate.load(dir).render(
                List.of(Map.of("role", "user", "content", "a"), Map.of("role", "user", "content", "b")), null, false));
    }

    @Test
    void missingTemplate(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"x\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().contains("no chat template"), e.getMessage());
    }

    @Test
    void corruptTokenizerConfig(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "[1, 2");
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": not valid JSON"), e.getMessage());
    }
}
