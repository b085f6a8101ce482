package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ShareGPT-style tool-use conversations as LLaMA-Factory writes them (glaive_toolcall demo):
 * {@code {conversations: [{from, value}], tools: "<JSON list>", system?}} with {@code from} one of
 * human/user, gpt/assistant, function_call, observation/tool, system. Every assistant turn becomes one
 * prompt: the conversation before it, with the turn as gold (a {@code function_call} turn gives the gold
 * calls; a {@code gpt} turn a text response, kept in {@code extras.response}). Earlier calls appear in
 * the history as Qwen/Hermes text, {@code <tool_call>\n{"name": …, "arguments": …}\n</tool_call>}, which
 * is what the Qwen template itself writes for an assistant's tool_calls.
 * Ids: {@code <file stem>:<conversation>:<turn>}.
 */
public final class ShareGptConverter implements PromptConverter {
    private final String fileStem;
    private final String split;

    public ShareGptConverter(String fileStem, String split) {
        this.fileStem = fileStem;
        this.split = split;
    }

    @Override
    public String source() {
        return "sharegpt";
    }

    @Override
    public List<PromptRecord> convert(String json, long row) throws BadRowException {
        Map<?, ?> m = JsonFields.object(json);
        List<?> conversation = JsonFields.list(m, "conversations");
        List<String> tools = tools(m.get("tools"));
        List<Message> history = new ArrayList<>();
        if (m.get("system") instanceof String s && !s.isEmpty()) history.add(new Message("system", s));

        List<PromptRecord> out = new ArrayList<>();
        for (int turn = 0; turn < conversation.size(); turn++) {
            if (!(conversation.get(turn) instanceof Map<?, ?> t) || !(t.get("from") instanceof String from)
                    || !(t.get("value") instanceof String value)) {
                throw new BadRowException("turn " + turn + " is not {from, value}");
            }
            String id = fileStem + ":" + row + ":" + turn;
            switch (from) {
                case "human", "user" -> history.add(new Message("user", value));
                case "observation", "tool" -> history.add(new Message("tool", value));
                case "system" -> history.add(new Message("system", value));
                case "gpt", "assistant" -> {
                    out.add(record(id, history, tools, null, PromptRecord.RESPONSE, Map.of("response", value)));
                    history.add(new Message("assistant", value));
                }
                case "function_call" -> {
                    List<Map<String, Object>> calls = calls(turn, value);
                    out.add(record(id, history, tools, PythonJson.dumps(calls), PromptRecord.TOOL_CALL, Map.of()));
                    history.add(new Message("assistant", hermes(calls)));
                }
                default -> throw new BadRowException("turn " + turn + ": unknown speaker '" + from + "'");
            }
        }
        if (out.isEmpty()) throw new BadRowException("conversation has no assistant turn");
        return out;
    }

    private PromptRecord record(String id, List<Message> history, List<String> tools, String gold, String kind,
                                Map<String, String> extra) throws BadRowException {
        if (history.stream().noneMatch(x -> x.role().equals("user"))) {
            throw new BadRowException("an assistant turn comes before any user turn");
        }
        Map<String, String> extras = new LinkedHashMap<>(extra);
        extras.put("turn", id.substring(id.lastIndexOf(':') + 1));
        return new PromptRecord(id, source(), split, fileStem, history, tools, gold, kind, extras);
    }

    /** Tools as bare function objects; accepts a JSON list given as text (LLaMA-Factory) or inline, wrapped or not. */
    private static List<String> tools(Object field) throws BadRowException {
        if (field == null) return List.of();
        Object parsed = field instanceof String s ? (s.isBlank() ? List.of() : JsonFields.parse(s, "tools")) : field;
        if (!(parsed instanceof List<?> list)) throw new BadRowException("tools is not a JSON list");
        List<String> tools = new ArrayList<>();
        for (Object t : list) {
            Object fn = t instanceof Map<?, ?> w && "function".equals(w.get("type")) && w.get("function") instanceof Map ? w.get("function") : t;
            if (!(fn instanceof Map<?, ?> f) || !(f.get("name") instanceof String)) throw new BadRowException("a tool has no name");
            tools.add(PythonJson.dumps(f));
        }
        return tools;
    }

    /** A function_call value: one {"name", "arguments"} object or a list of them; arguments may be JSON text. */
    private static List<Map<String, Object>> calls(int turn, String value) throws BadRowException {
        Object parsed = JsonFields.parse(value, "turn " + turn + " function_call");
        List<?> items = parsed instanceof List<?> l ? l : List.of(parsed);
        List<Map<String, Object>> calls = new ArrayList<>();
        for (Object o : items) {
            if (!(o instanceof Map<?, ?> c) || !(c.get("name") instanceof String name)) {
                throw new BadRowException("turn " + turn + ": function_call is not {\"name\", \"arguments\"}");
            }
            Object args = c.get("arguments") instanceof String s ? JsonFields.parse(s, "turn " + turn + " arguments") : c.get("arguments");
            if (args == null) args = Map.of();
            if (!(args instanceof Map)) throw new BadRowException("turn " + turn + ": arguments are not an object");
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("name", name);
            call.put("arguments", args);
            calls.add(call);
        }
        if (calls.isEmpty()) throw new BadRowException("turn " + turn + ": empty function_call");
        return calls;
    }

    private static String hermes(List<Map<String, Object>> calls) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> c : calls) {
            if (sb.length() > 0) sb.append('\n');
            sb.append("<tool_call>\n").append(PythonJson.dumps(c)).append("\n</tool_call>");
        }
        return sb.toString();
    }
}
