package org.dfcspark.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.py.PythonJson;

/**
 * The gold answer of a prompt record as the text that follows its rendered prompt, for teacher-forced
 * activation harvesting (positions = assistant): prompt + answer is exactly the conversation with the gold
 * assistant turn. Built from the record's tool-call gold; records without one (response, irrelevance, none)
 * have no answer here.
 * <ul>
 *   <li>{@code chat}: the model's chat template over the messages plus an assistant message with
 *       {@code tool_calls} (Qwen2.5: {@code <tool_call>\n{"name": …, "arguments": …}\n</tool_call><|im_end|>});</li>
 *   <li>{@code toolrl}: the chat template over ToolRL's messages plus an assistant message in ToolRL's answer
 *       format ({@code <tool_call>} block, one {@code {"name", "parameters"}} object per line);</li>
 *   <li>{@code raw}: ToolRL's answer block right after the raw prompt text.</li>
 * </ul>
 * The template's separator after the end-of-turn token (a newline) is not part of the answer.
 */
public final class TeacherForcing {
    private TeacherForcing() {}

    /**
     * @param template the model's chat template (chat and toolrl modes; may be null for raw)
     * @return the answer text, or null when the record has no tool-call gold
     */
    public static String answer(Rendering.Mode mode, ChatTemplate template, PromptRecord r) {
        if (r.gold() == null || !PromptRecord.TOOL_CALL.equals(r.goldKind())) return null;
        List<Map<String, Object>> calls = calls(r);
        return switch (mode) {
            case RAW -> toolRlAnswer(calls);
            case CHAT -> continuation(template, Rendering.chatMessages(r.messages()),
                    r.tools().isEmpty() ? null : Rendering.chatTools(r.tools()), toolCallMessage(calls), r.id());
            case TOOLRL -> continuation(template, Rendering.chatMessages(Rendering.toolRlMessages(r)), null,
                    contentMessage(toolRlAnswer(calls)), r.id());
        };
    }

    private static String continuation(ChatTemplate template, List<Map<String, Object>> messages,
                                       List<Map<String, Object>> tools, Map<String, Object> assistant, String id) {
        String prompt = template.render(messages, tools, true);
        List<Map<String, Object>> withAnswer = new ArrayList<>(messages);
        withAnswer.add(assistant);
        String full = template.render(withAnswer, tools, false);
        if (!full.startsWith(prompt)) {
            throw new IllegalArgumentException("prompt " + id + ": the chat template does not render the gold answer as a "
                    + "continuation of the prompt, so it cannot be teacher-forced");
        }
        return full.substring(prompt.length()).stripTrailing();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(PromptRecord r) {
        return (List<Map<String, Object>>) PythonJson.parse(r.gold());
    }

    private static Map<String, Object> toolCallMessage(List<Map<String, Object>> calls) {
        List<Map<String, Object>> toolCalls = new ArrayList<>();
        for (Map<String, Object> c : calls) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", c.get("name"));
            fn.put("arguments", c.get("arguments"));
            Map<String, Object> tc = new LinkedHashMap<>();
            tc.put("type", "function");
            tc.put("function", fn);
            toolCalls.add(tc);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "assistant");
        m.put("content", "");
        m.put("tool_calls", toolCalls);
        return m;
    }

    private static Map<String, Object> contentMessage(String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "assistant");
        m.put("content", content);
        return m;
    }

    /** ToolRL's answer block: one {"name", "parameters"} JSON object per line inside one tool_call block. */
    static String toolRlAnswer(List<Map<String, Object>> calls) {
        StringBuilder sb = new StringBuilder("<tool_call>\n");
        for (Map<String, Object> c : calls) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("name", c.get("name"));
            line.put("parameters", c.get("arguments"));
            sb.append(PythonJson.dumps(line)).append('\n');
        }
        return sb.append("</tool_call>").toString();
    }
}
