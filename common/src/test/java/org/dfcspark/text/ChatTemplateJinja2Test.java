package org.dfcspark.text;

import org.dfcspark.data.ProjectPaths;
import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Replays renders made by transformers' own Jinja2 environment (tools/reference/chat_template_cases.py):
 * the Qwen2.5 template on several conversations, and small templates probing whitespace control,
 * loops, namespaces, tojson, tests and raise_exception. Every case must match byte for byte.
 */
class ChatTemplateJinja2Test {

    @SuppressWarnings("unchecked")
    @TestFactory
    List<DynamicTest> matchesTransformersRenders() throws Exception {
        List<Object> cases;
        try (InputStream in = getClass().getResourceAsStream("/text/jinja2_cases.json")) {
            cases = (List<Object>) PythonJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        ChatTemplate qwen = ChatTemplate.load(ProjectPaths.data("tokenizers/qwen2.5"));
        Map<String, String> special = Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>");
        List<DynamicTest> tests = new ArrayList<>();
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                ChatTemplate t = c.get("template") == null ? qwen : ChatTemplate.of((String) c.get("template"), special);
                var messages = (List<Map<String, Object>>) c.get("messages");
                var tools = (List<Map<String, Object>>) c.get("tools");
                boolean gen = (Boolean) c.get("add_generation_prompt");
                if (c.get("error") != null) {
                    var e = assertThrows(IllegalArgumentException.class, () -> t.render(messages, tools, gen));
                    assertEquals("chat template: " + c.get("error"), e.getMessage());
                } else {
                    assertEquals(c.get("expected"), t.render(messages, tools, gen));
                }
            }));
        }
        assertEquals(20, tests.size());
        return tests;
    }
}
