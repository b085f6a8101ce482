package org.dfcspark.data;

import org.dfcspark.py.PythonJson;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One prompt of the prompts table (data-schemas/prompts.md), whatever its source: the conversation
 * so far, the tools offered, and what a correct answer is.
 *
 * @param id       unique within a table (e.g. {@code toolrl_test:17}, {@code simple_python_0})
 * @param source   reader that made it: toolrl | bfcl | sharegpt | text | organism (the synthetic world)
 * @param split    test | train | ... (from the data when it says, else the reader's default)
 * @param category source-specific group (BFCL test category, ToolRL data_source, file name)
 * @param messages the conversation, oldest first; roles system | user | assistant | tool
 * @param tools    tool descriptions, each a JSON object {@code {"name", "description", "parameters"}} as text
 * @param gold     JSON list of the expected calls {@code [{"name": ..., "arguments": {...}}]}, or null
 * @param goldKind what is expected: tool_call | response | irrelevance | none (plain text, no target)
 * @param extras   source-specific fields kept verbatim (ground-truth text, BFCL possible answers, ...)
 */
public record PromptRecord(String id, String source, String split, String category, List<Message> messages,
                           List<String> tools, String gold, String goldKind, Map<String, String> extras)
        implements Serializable {

    public static final String TOOL_CALL = "tool_call";
    public static final String RESPONSE = "response";
    public static final String IRRELEVANCE = "irrelevance";
    public static final String NONE = "none";

    public static final Set<String> SOURCES = Set.of("toolrl", "bfcl", "sharegpt", "text", "organism");
    public static final Set<String> GOLD_KINDS = Set.of(TOOL_CALL, RESPONSE, IRRELEVANCE, NONE);
    public static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    /** One turn of the conversation. */
    public record Message(String role, String content) implements Serializable {}

    public PromptRecord {
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        extras = Map.copyOf(extras);
    }

    /** The record's breaches of the schema's invariants (empty when valid); what the validator reports. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (id == null || id.isBlank()) p.add("empty id");
        if (!SOURCES.contains(source)) p.add("unknown source '" + source + "'");
        if (split == null || split.isBlank()) p.add("empty split");
        if (category == null || category.isBlank()) p.add("empty category");
        if (messages.isEmpty()) p.add("no messages");
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (!ROLES.contains(m.role())) p.add("message " + i + ": unknown role '" + m.role() + "'");
            if (m.content() == null) p.add("message " + i + ": null content");
        }
        for (int i = 0; i < tools.size(); i++) {
            String problem = toolProblem(tools.get(i));
            if (problem != null) p.add("tool " + i + ": " + problem);
        }
        if (!GOLD_KINDS.contains(goldKind)) p.add("unknown gold_kind '" + goldKind + "'");
        if (gold != null) {
            if (!TOOL_CALL.equals(goldKind)) p.add("gold given for gold_kind " + goldKind);
            String problem = goldProblem(gold);
            if (problem != null) p.add("gold: " + problem);
        }
        return p;
    }

    private static String toolProblem(String json) {
        Object t;
        try {
            t = PythonJson.parse(json);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!(t instanceof Map<?, ?> m)) return "not a JSON object";
        if (!(m.get("name") instanceof String name) || name.isEmpty()) return "no \"name\" string";
        return null;
    }

    private static String goldProblem(String json) {
        Object g;
        try {
            g = PythonJson.parse(json);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!(g instanceof List<?> calls) || calls.isEmpty()) return "not a non-empty JSON list";
        for (Object c : calls) {
            if (!(c instanceof Map<?, ?> call)) return "a call is not a JSON object";
            if (!(call.get("name") instanceof String)) return "a call has no \"name\" string";
            if (!(call.get("arguments") instanceof Map)) return "a call has no \"arguments\" object";
            if (call.size() != 2) return "a call has keys other than name and arguments";
        }
        return null;
    }
}
