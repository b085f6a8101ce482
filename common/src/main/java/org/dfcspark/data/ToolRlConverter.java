package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.py.PythonJson;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ToolRL rows. Two input forms: the processed RL split (verl rows: {@code prompt} = [system, user],
 * {@code reward_model.ground_truth}, {@code extra_info}) — from test.parquet or its JSONL dump — and the
 * raw SFT file ({@code {instruction, input, output}}). The system prompt is parsed into tools and the
 * user message into the conversation; a row is kept only if {@link ToolRlFormat} rebuilds both texts
 * exactly, so the {@code toolrl} and {@code raw} renderings give back ToolRL's own prompt. The gold
 * calls come from the reference answer's {@code <tool_call>} block; the answer itself is kept in
 * {@code extras.ground_truth} for ToolRL's scorer.
 * Ids: {@code toolrl_<split>:<extra_info.index>} for verl rows, {@code <file stem>:<position>} for raw rows.
 */
public final class ToolRlConverter implements PromptConverter {
    private final String fileStem;
    private final String defaultSplit;

    /**
     * @param fileStem     input file name without extension (ids and category of raw SFT rows)
     * @param defaultSplit split of rows that do not name theirs (raw SFT rows)
     */
    public ToolRlConverter(String fileStem, String defaultSplit) {
        this.fileStem = fileStem;
        this.defaultSplit = defaultSplit;
    }

    @Override
    public String source() {
        return "toolrl";
    }

    @Override
    public List<PromptRecord> convert(String json, long row) throws BadRowException {
        Map<?, ?> m = JsonFields.object(json);
        String id, split, category, system, user, answer;
        Map<String, String> extras = new LinkedHashMap<>();
        if (m.containsKey("prompt")) {
            List<?> prompt = JsonFields.list(m, "prompt");
            if (prompt.size() != 2) throw new BadRowException("prompt has " + prompt.size() + " messages, expected [system, user]");
            system = message(prompt.get(0), "system");
            user = message(prompt.get(1), "user");
            answer = JsonFields.string(JsonFields.object(m, "reward_model"), "ground_truth");
            Map<?, ?> info = m.get("extra_info") instanceof Map<?, ?> e ? e : Map.of();
            split = info.get("split") instanceof String s ? s : defaultSplit;
            Object index = info.get("index") instanceof Number n ? n : row;
            id = "toolrl_" + split + ":" + index;
            category = m.get("data_source") instanceof String s ? s : "toolrl";
            extras.put("index", index.toString());
            if (m.get("data_source") instanceof String s) extras.put("data_source", s);
            if (m.get("ability") instanceof String s) extras.put("ability", s);
        } else {
            system = JsonFields.string(m, "instruction");
            user = JsonFields.string(m, "input");
            answer = JsonFields.string(m, "output");
            split = defaultSplit;
            id = fileStem + ":" + row;
            category = fileStem;
            extras.put("index", Long.toString(row));
        }
        extras.put("ground_truth", answer);

        List<String> tools;
        List<Message> messages;
        try {
            tools = ToolRlFormat.parseTools(system);
            messages = ToolRlFormat.parseHistory(user);
        } catch (IllegalArgumentException e) {
            throw new BadRowException("not a ToolRL prompt: " + e.getMessage());
        }
        if (!ToolRlFormat.systemPrompt(tools).equals(system)) {
            throw new BadRowException("ToolRL system prompt does not rebuild from its parsed tools");
        }
        if (!ToolRlFormat.history(messages).equals(user)) {
            throw new BadRowException("ToolRL dialogue history does not rebuild from its parsed turns");
        }

        List<Map<String, Object>> calls;
        try {
            calls = ToolRlFormat.calls(answer);
        } catch (IllegalArgumentException e) {
            throw new BadRowException("ground truth: " + e.getMessage());
        }
        String goldKind;
        if (!calls.isEmpty()) goldKind = PromptRecord.TOOL_CALL;
        else if (answer.contains("<response>")) goldKind = PromptRecord.RESPONSE;
        else throw new BadRowException("ground truth has neither a <tool_call> block nor a <response>");
        String gold = calls.isEmpty() ? null : PythonJson.dumps(calls);
        return List.of(new PromptRecord(id, source(), split, category, messages, tools, gold, goldKind, extras));
    }

    private static String message(Object o, String role) throws BadRowException {
        if (!(o instanceof Map<?, ?> msg) || !role.equals(msg.get("role")) || !(msg.get("content") instanceof String c)) {
            throw new BadRowException("prompt is not [system, user] messages with string content");
        }
        return c;
    }
}
