package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Turns a prompt record into the text a model is given. Three modes:
 * <ul>
 *   <li>{@code raw} — the paper's prompt: the contents of the ToolRL-style messages (system, then user)
 *       joined with "\n", no chat template. For a ToolRL row this is its own system + "\n" + user.</li>
 *   <li>{@code chat} — the model's chat template over the record's messages with its tools (Qwen2.5: the
 *       {@code <tools>} section of the system turn), ending with the generation prompt.</li>
 *   <li>{@code toolrl} — the chat template over the ToolRL-style messages (ToolRL's system prompt with the
 *       {@code 1. Name: …} list, the dialogue in ToolRL's history notation), no tools argument: what
 *       ToolRL's training fed its model.</li>
 * </ul>
 * ToolRL-style messages of a record with tools are [system: {@link ToolRlFormat#systemPrompt} + any system
 * messages of the record after a blank line, user: {@link ToolRlFormat#history}]; a record without tools
 * (plain text) keeps its own messages. Deterministic: the same record always gives the same text.
 */
public final class Rendering {

    public enum Mode {
        RAW, CHAT, TOOLRL;

        /** raw | chat | toolrl (IllegalArgumentException otherwise). */
        public static Mode parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown rendering '" + name + "' (raw | chat | toolrl)");
            }
        }
    }

    private final Mode mode;
    private final ChatTemplate template;

    private Rendering(Mode mode, ChatTemplate template) {
        this.mode = mode;
        this.template = template;
    }

    /** @param template the model's chat template; needed by chat and toolrl, may be null for raw */
    public static Rendering of(Mode mode, ChatTemplate template) {
        if (mode != Mode.RAW) Objects.requireNonNull(template, "rendering " + mode + " needs the model's chat template");
        return new Rendering(mode, template);
    }

    public Mode mode() {
        return mode;
    }

    /** The prompt text of a record. */
    public String render(PromptRecord r) {
        return switch (mode) {
            case RAW -> toolRlMessages(r).stream().map(Message::content).collect(Collectors.joining("\n"));
            case CHAT -> template.render(chatMessages(r.messages()), r.tools().isEmpty() ? null : chatTools(r.tools()), true);
            case TOOLRL -> template.render(chatMessages(toolRlMessages(r)), null, true);
        };
    }

    /** The record as ToolRL prompts it: [system with the tool list, user with the dialogue history]. */
    public static List<Message> toolRlMessages(PromptRecord r) {
        if (r.tools().isEmpty()) return r.messages();
        StringBuilder system = new StringBuilder(ToolRlFormat.systemPrompt(r.tools()));
        for (Message m : r.messages()) {
            if (m.role().equals("system")) system.append("\n\n").append(m.content());
        }
        return List.of(new Message("system", system.toString()), new Message("user", ToolRlFormat.history(r.messages())));
    }

    /** Messages as transformers passes them to a template: maps with role and content. */
    static List<Map<String, Object>> chatMessages(List<Message> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role());
            msg.put("content", m.content());
            out.add(msg);
        }
        return out;
    }

    /** Tools in the OpenAI/transformers form the templates expect: {"type": "function", "function": {…}}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> chatTools(List<String> tools) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String t : tools) {
            Map<String, Object> fn = (Map<String, Object>) PythonJson.parse(t);
            if ("function".equals(fn.get("type")) && fn.get("function") instanceof Map) {
                out.add(fn);
                continue;
            }
            Map<String, Object> wrapped = new LinkedHashMap<>();
            wrapped.put("type", "function");
            wrapped.put("function", fn);
            out.add(wrapped);
        }
        return out;
    }
}
