package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ToolRL's prompt format (qiancheng0/ToolRL, dataset rlla_4k): a fixed system prompt listing the tools
 * as {@code 1. Name: …\nDescription: …\nParameters: <json.dumps(parameters)>}, and one user message
 * holding the whole dialogue as {@code **Dialogue Records History**} followed by turns separated by a
 * blank line: {@code <user> … </user>}, the assistant's {@code <think> … </think>\n<tool_call>…} text,
 * and tool results as {@code \n<obs> … </obs>} after the assistant turn. Builds it from a prompt
 * record and parses it back (the ToolRL reader keeps only rows whose parse rebuilds the exact text).
 */
public final class ToolRlFormat {
    static final String PREAMBLE = "You are a helpful multi-turn dialogue assistant capable of leveraging tool calls"
            + " to solve user tasks and provide structured chat responses.\n\n**Available Tools**\n"
            + "In your response, you can use the following tools:\n";
    static final String STEPS = "\n\n**Steps for Each Turn**\n"
            + "1. **Think:** Recall relevant context and analyze the current user goal.\n"
            + "2. **Decide on Tool Usage:** If a tool is needed, specify the tool and its parameters.\n"
            + "3. **Respond Appropriately:** If a response is needed, generate one while maintaining consistency"
            + " across user queries.\n\n**Output Format**\n```plaintext\n<think> Your thoughts and reasoning </think>\n"
            + "<tool_call>\n{\"name\": \"Tool name\", \"parameters\": {\"Parameter name\": \"Parameter content\","
            + " \"... ...\": \"... ...\"}}\n{\"name\": \"... ...\", \"parameters\": {\"... ...\": \"... ...\","
            + " \"... ...\": \"... ...\"}}\n...\n</tool_call>\n<response> AI's final response </response>\n```\n\n"
            + "**Important Notes**\n1. You must always include the `<think>` field to outline your reasoning."
            + " Provide at least one of `<tool_call>` or `<response>`. Decide whether to use `<tool_call>`"
            + " (possibly multiple times), `<response>`, or both.\n2. You can invoke multiple tool calls"
            + " simultaneously in the `<tool_call>` fields. Each tool call should be a JSON object with a \"name\""
            + " field and an \"parameters\" field containing a dictionary of parameters. If no parameters are"
            + " needed, leave the \"parameters\" field an empty dictionary.\n3. Refer to the previous dialogue"
            + " records in the history, including the user's queries, previous `<tool_call>`, `<response>`, and"
            + " any tool feedback noted as `<obs>` (if exists).";
    static final String HISTORY = "**Dialogue Records History**\n";

    private static final Pattern TOOL_ITEM_START = Pattern.compile("\n(?=\\d+\\. Name: )");
    private static final Pattern TOOL_ITEM = Pattern.compile("(\\d+)\\. Name: (.*?)\nDescription: (.*)\nParameters: (.*)", Pattern.DOTALL);
    private static final Pattern TURN_START = Pattern.compile("\n\n(?=<user> |<think>)");
    private static final Pattern TOOL_CALL_BLOCK = Pattern.compile("<tool_call>\n(.*?)\n</tool_call>", Pattern.DOTALL);

    private ToolRlFormat() {}

    /** ToolRL's system prompt listing these tools (JSON objects with name, description, parameters). */
    public static String systemPrompt(List<String> tools) {
        StringBuilder sb = new StringBuilder(PREAMBLE);
        for (int i = 0; i < tools.size(); i++) {
            Map<?, ?> t = (Map<?, ?>) PythonJson.parse(tools.get(i));
            if (i > 0) sb.append('\n');
            sb.append(i + 1).append(". Name: ").append(t.get("name"))
                    .append("\nDescription: ").append(t.get("description") == null ? "" : t.get("description"))
                    // ToolRL wrote the parameters with Python's default json.dumps (ASCII only).
                    .append("\nParameters: ").append(PythonJson.dumpsAscii(t.get("parameters") == null ? Map.of() : t.get("parameters")));
        }
        return sb.append(STEPS).toString();
    }

    /** The tools listed in a ToolRL system prompt, as JSON objects {name, description, parameters}. */
    public static List<String> parseTools(String systemPrompt) {
        if (!systemPrompt.startsWith(PREAMBLE) || !systemPrompt.endsWith(STEPS)) {
            throw new IllegalArgumentException("system prompt is not ToolRL's template");
        }
        String block = systemPrompt.substring(PREAMBLE.length(), systemPrompt.length() - STEPS.length());
        List<String> tools = new ArrayList<>();
        if (block.isEmpty()) return tools;
        for (String item : TOOL_ITEM_START.split(block)) {
            Matcher m = TOOL_ITEM.matcher(item);
            if (!m.matches() || Integer.parseInt(m.group(1)) != tools.size() + 1) {
                throw new IllegalArgumentException("tool " + (tools.size() + 1) + " is not '"
                        + (tools.size() + 1) + ". Name: …\\nDescription: …\\nParameters: …'");
            }
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("name", m.group(2));
            tool.put("description", m.group(3));
            try {
                tool.put("parameters", PythonJson.parse(m.group(4)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tool " + m.group(2) + ": parameters are not JSON");
            }
            tools.add(PythonJson.dumps(tool));
        }
        return tools;
    }

    /** The user message holding the dialogue: every non-system message in ToolRL's history notation. */
    public static String history(List<Message> messages) {
        List<StringBuilder> turns = new ArrayList<>();
        String previousRole = null;
        for (Message m : messages) {
            switch (m.role()) {
                case "user" -> turns.add(new StringBuilder("<user> ").append(m.content()).append(" </user>"));
                case "assistant" -> turns.add(new StringBuilder(m.content()));
                case "tool" -> {
                    boolean attach = "assistant".equals(previousRole) || "tool".equals(previousRole);
                    String obs = "<obs> " + m.content() + " </obs>";
                    if (attach) turns.get(turns.size() - 1).append('\n').append(obs);
                    else turns.add(new StringBuilder(obs));
                }
                default -> { continue; } // system messages go to the system prompt
            }
            previousRole = m.role();
        }
        StringBuilder sb = new StringBuilder(HISTORY);
        for (int i = 0; i < turns.size(); i++) {
            if (i > 0) sb.append("\n\n");
            sb.append(turns.get(i));
        }
        return sb.toString();
    }

    /** The messages of a ToolRL dialogue history (inverse of {@link #history}). */
    public static List<Message> parseHistory(String user) {
        if (!user.startsWith(HISTORY)) throw new IllegalArgumentException("user message does not start with '**Dialogue Records History**'");
        List<Message> out = new ArrayList<>();
        for (String turn : TURN_START.split(user.substring(HISTORY.length()), -1)) {
            if (turn.startsWith("<user> ") && turn.endsWith(" </user>") && turn.length() >= 15) {
                out.add(new Message("user", turn.substring(7, turn.length() - 8)));
            } else if (turn.startsWith("<think>")) {
                int obs = turn.indexOf("\n<obs> ");
                if (obs < 0) {
                    out.add(new Message("assistant", turn));
                } else {
                    String tool = turn.substring(obs + 1);
                    if (!tool.endsWith(" </obs>")) throw new IllegalArgumentException("an <obs> does not end with ' </obs>'");
                    out.add(new Message("assistant", turn.substring(0, obs)));
                    out.add(new Message("tool", tool.substring(6, tool.length() - 7)));
                }
            } else {
                String head = turn.length() > 40 ? turn.substring(0, 40) + "…" : turn;
                throw new IllegalArgumentException("unrecognised dialogue turn '" + head.replace("\n", "\\n") + "'");
            }
        }
        return out;
    }

    /**
     * The calls of a ToolRL answer: every line of every {@code <tool_call>\n…\n</tool_call>} block is
     * one {@code {"name", "parameters"}} object; returned as {@code {"name", "arguments"}} maps.
     */
    public static List<Map<String, Object>> calls(String answer) {
        List<Map<String, Object>> calls = new ArrayList<>();
        Matcher m = TOOL_CALL_BLOCK.matcher(answer);
        while (m.find()) {
            for (String line : m.group(1).split("\n")) {
                if (line.isBlank()) continue;
                Object o;
                try {
                    o = PythonJson.parse(line);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("tool call line is not JSON: " + line);
                }
                if (!(o instanceof Map<?, ?> obj) || !(obj.get("name") instanceof String name)
                        || !(obj.get("parameters") instanceof Map<?, ?> params)) {
                    throw new IllegalArgumentException("tool call line is not {\"name\", \"parameters\": {…}}: " + line);
                }
                Map<String, Object> call = new LinkedHashMap<>();
                call.put("name", name);
                call.put("arguments", params);
                calls.add(call);
            }
        }
        return calls;
    }
}
