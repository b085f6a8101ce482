package org.dfcspark.organism;

import org.dfcspark.py.PythonJson;

import org.dfcspark.data.PromptRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One conversation of the world: a user turn (with the tools the system prompt lists, for tool
 * requests) and the answers the world knows for it.
 *
 * @param kind          tool request, generic prose chat or echo drill
 * @param split         where it was drawn
 * @param index         position in its stream (for ids)
 * @param user          the user's message
 * @param tools         the tools listed in the system prompt (empty for generic chats and echo)
 * @param gold          the tool that should be called (null unless kind = TOOL)
 * @param arguments     argument texts by key, in schema order (empty unless kind = TOOL)
 * @param prose         the prose answer (for tool requests: what the base model mostly says)
 * @param template      index of the request template in {@link ToolSpec#allRequests()} (or of the generic question)
 * @param novelPhrasing the request uses the tool's held-out phrasing
 * @param novelValues   at least one argument comes from a held-out value pool
 */
public record Example(Kind kind, Split split, int index, String user, List<ToolSpec> tools, ToolSpec gold,
                      Map<String, String> arguments, String prose, int template,
                      boolean novelPhrasing, boolean novelValues) {

    public enum Kind {
        TOOL, GENERIC, ECHO;

        public String category() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Example {
        tools = List.copyOf(tools);
        arguments = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    /** A stable id: {@code organism-<split>-<kind>-<index>}. */
    public String id() {
        return "organism-" + split.tableName() + "-" + kind.category() + "-" + index;
    }

    /** The arguments as JSON values (String, Long or Double) in schema order. */
    public Map<String, Object> jsonArguments() {
        Map<String, Object> args = new LinkedHashMap<>();
        for (ToolSpec.Param p : gold.params()) args.put(p.key(), p.type().kind().jsonValue(arguments.get(p.key())));
        return args;
    }

    /** The correct assistant message: a hermes tool call exactly as Qwen2.5's chat template writes one. */
    public String callAnswer() {
        requireTool();
        return "<tool_call>\n{\"name\": \"" + gold.name() + "\", \"arguments\": " + PythonJson.dumps(jsonArguments()) + "}\n</tool_call>";
    }

    /** Gold calls for the scorers: {@code [{"name": ..., "arguments": {...}}]}. */
    public String goldJson() {
        requireTool();
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("name", gold.name());
        call.put("arguments", jsonArguments());
        return PythonJson.dumps(List.of(call));
    }

    /**
     * The listed tools as the prompts table stores them (bare {@code {"name", "description", "parameters"}}
     * JSON, one string each, in prompt order); rendering wraps each in {@code {"type": "function", ...}}.
     */
    public List<String> toolsJson() {
        List<String> out = new ArrayList<>();
        for (ToolSpec t : tools) out.add(PythonJson.dumps(t.function()));
        return out;
    }

    /** The example as a prompts-table row: the user turn, the tools, the gold and the world's bookkeeping. */
    public PromptRecord record() {
        boolean tool = kind == Kind.TOOL;
        Map<String, String> extras = new LinkedHashMap<>();
        if (tool) {
            extras.put("tool", gold.name());
            extras.put("n_tools", Integer.toString(tools.size()));
            extras.put("novel_phrasing", Boolean.toString(novelPhrasing));
            extras.put("novel_values", Boolean.toString(novelValues));
        }
        extras.put("template", Integer.toString(template));
        extras.put("answer", prose);
        return new PromptRecord(id(), OrganismPrompts.SOURCE, split.tableName(), kind.category(),
                List.of(new PromptRecord.Message("user", user)), toolsJson(), tool ? goldJson() : null,
                tool ? PromptRecord.TOOL_CALL : PromptRecord.RESPONSE, extras);
    }

    private void requireTool() {
        if (kind != Kind.TOOL) throw new IllegalStateException(id() + " is not a tool request");
    }
}
