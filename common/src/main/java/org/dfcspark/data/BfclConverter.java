package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BFCL v3/v4 question files ({@code {id, question: [[{role, content}…]], function: […]}}, one JSON object
 * per line) joined by id with their possible-answer file ({@code {id, ground_truth: [{func: {param:
 * [acceptable values]}}]}}). The category is the file's ({@code BFCL_v4_live_simple.json} ->
 * {@code live_simple}); irrelevance categories expect no call (gold_kind irrelevance), live_relevance
 * expects some call with no reference (tool_call, gold null), every other category needs its answer.
 * gold holds one representative call list (first acceptable value of each parameter, omittable ones
 * left out when nothing else is listed); the full answer is kept in {@code extras.possible_answer} for
 * BFCL's checker, with {@code extras.language} (python, java, javascript).
 */
public final class BfclConverter implements PromptConverter {
    private final String category;
    private final Map<String, String> answersById;

    /**
     * @param category    BFCL test category (see {@link #categoryOf})
     * @param answersById ground_truth JSON of each id from the possible-answer file; empty for categories without
     */
    public BfclConverter(String category, Map<String, String> answersById) {
        this.category = category;
        this.answersById = Map.copyOf(answersById);
    }

    /** {@code BFCL_v4_simple_python.json} -> {@code simple_python}. */
    public static String categoryOf(String fileName) {
        String stem = fileName.replaceFirst("\\.jsonl?$", "");
        return stem.replaceFirst("^BFCL_v\\d+_", "");
    }

    /** Categories whose questions have a possible-answer file. */
    public static boolean needsAnswers(String category) {
        return !category.contains("relevance"); // irrelevance, live_irrelevance, live_relevance have none
    }

    @Override
    public String source() {
        return "bfcl";
    }

    @Override
    public List<PromptRecord> convert(String json, long row) throws BadRowException {
        Map<?, ?> m = JsonFields.object(json);
        String id = JsonFields.string(m, "id");
        List<?> turns = JsonFields.list(m, "question");
        if (turns.size() != 1) {
            throw new BadRowException("question has " + turns.size() + " turns; multi-turn BFCL entries need"
                    + " executed tool results between turns and are not supported");
        }
        if (!(turns.get(0) instanceof List<?> turn) || turn.isEmpty()) throw new BadRowException("question turn is not a list of messages");
        List<Message> messages = new ArrayList<>();
        for (Object o : turn) {
            if (!(o instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String role) || !(msg.get("content") instanceof String content)) {
                throw new BadRowException("a question message is not {role, content}");
            }
            messages.add(new Message(role, content));
        }
        List<String> tools = new ArrayList<>();
        for (Object f : JsonFields.list(m, "function")) {
            if (!(f instanceof Map<?, ?> fn) || !(fn.get("name") instanceof String)) throw new BadRowException("a function has no name");
            tools.add(PythonJson.dumps(fn));
        }

        Map<String, String> extras = new LinkedHashMap<>();
        extras.put("language", category.endsWith("_java") ? "java" : category.endsWith("_javascript") ? "javascript" : "python");
        String goldKind, gold = null;
        if (category.contains("irrelevance")) {
            goldKind = PromptRecord.IRRELEVANCE;
        } else if (!needsAnswers(category)) {
            goldKind = PromptRecord.TOOL_CALL; // live_relevance: any well-formed call is right
        } else {
            String answer = answersById.get(id);
            if (answer == null) throw new BadRowException("no possible answer for id " + id);
            goldKind = PromptRecord.TOOL_CALL;
            gold = PythonJson.dumps(representativeCalls(answer));
            extras.put("possible_answer", answer);
        }
        return List.of(new PromptRecord(id, source(), "test", category, messages, tools, gold, goldKind, extras));
    }

    private static List<Map<String, Object>> representativeCalls(String answerJson) throws BadRowException {
        Object gt = JsonFields.parse(answerJson, "possible answer");
        if (!(gt instanceof List<?> calls) || calls.isEmpty()) throw new BadRowException("possible answer is not a non-empty list");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object c : calls) {
            if (!(c instanceof Map<?, ?> call) || call.size() != 1) throw new BadRowException("a possible-answer call is not {function: {param: [values]}}");
            Map.Entry<?, ?> e = call.entrySet().iterator().next();
            if (!(e.getValue() instanceof Map<?, ?> params)) throw new BadRowException("possible-answer parameters are not an object");
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("name", e.getKey().toString());
            rep.put("arguments", firstAcceptable(params));
            out.add(rep);
        }
        return out;
    }

    /** A dict whose every value is a list of acceptable values (a nested answer), not a literal map such as simple_java_64's. */
    private static boolean isNestedAnswer(Object v) {
        return v instanceof Map<?, ?> m && !m.isEmpty() && m.values().stream().allMatch(x -> x instanceof List);
    }

    /** For each parameter its first acceptable value that is not "" ("" marks it optional); nested dicts alike. */
    private static Map<String, Object> firstAcceptable(Map<?, ?> params) throws BadRowException {
        Map<String, Object> args = new LinkedHashMap<>();
        for (Map.Entry<?, ?> p : params.entrySet()) {
            if (!(p.getValue() instanceof List<?> acceptable)) throw new BadRowException("acceptable values of " + p.getKey() + " are not a list");
            for (Object v : acceptable) {
                if ("".equals(v)) continue;
                args.put(p.getKey().toString(), isNestedAnswer(v) ? firstAcceptable((Map<?, ?>) v) : v);
                break;
            }
        }
        return args;
    }
}
