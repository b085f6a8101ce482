package org.dfcspark.toolcall;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PyStrings;
import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads tool calls out of a model output, for both the hermes and the ToolRL format (they differ only in how
 * many calls a block holds and in the arguments key, which is a parameter here). Never throws on model text:
 * everything that looks like a call attempt but cannot be read becomes a {@link ParseFailure} with a reason.
 *
 * <p>Rules: text inside {@code <think>...</think>} is not searched (an unclosed think swallows the rest);
 * each {@code <tool_call>...</tool_call>} block holds a sequence of JSON values separated by whitespace (one
 * object, one object per line, or pretty-printed), where a JSON array stands for its elements; a block without
 * {@code </tool_call>} runs to the end of the text and is reported as a failure (its complete calls are still
 * read). A call is an object with a non-empty string {@code name} and an object under one of the accepted
 * argument keys (first one present wins).
 */
public final class ToolCallParser {
    private static final String OPEN = "<tool_call>";
    private static final String CLOSE = "</tool_call>";

    private ToolCallParser() {}

    public static ParsedOutput parse(String output, List<String> argumentKeys) {
        String text = output == null ? "" : output;
        List<ToolCall> calls = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<ParseFailure> failures = new ArrayList<>();

        String think = null;
        StringBuilder visible = new StringBuilder();
        int pos = 0;
        while (pos < text.length()) {
            int open = text.indexOf("<think>", pos);
            if (open < 0) {
                visible.append(text, pos, text.length());
                break;
            }
            visible.append(text, pos, open);
            int close = text.indexOf("</think>", open);
            String inside = close < 0 ? text.substring(open + 7) : text.substring(open + 7, close);
            if (think == null) think = inside;
            pos = close < 0 ? text.length() : close + 8;
        }
        String rest = visible.toString();

        int from = 0;
        while (true) {
            int open = rest.indexOf(OPEN, from);
            if (open < 0) break;
            int start = open + OPEN.length();
            int close = rest.indexOf(CLOSE, start);
            String block = close < 0 ? rest.substring(start) : rest.substring(start, close);
            if (close < 0) failures.add(new ParseFailure(clip(rest.substring(open)), "unclosed <tool_call> (no </tool_call>)"));
            readBlock(block, argumentKeys, calls, keys, failures);
            if (close < 0) break;
            from = close + CLOSE.length();
        }
        return new ParsedOutput(calls, failures, keys, think, between(rest, "<response>", "</response>"));
    }

    private static void readBlock(String block, List<String> argumentKeys, List<ToolCall> calls, List<String> keys,
                                  List<ParseFailure> failures) {
        int i = skipSpace(block, 0);
        if (i >= block.length()) {
            failures.add(new ParseFailure("", "empty <tool_call> block"));
            return;
        }
        while (i < block.length()) {
            int[] end = new int[1];
            Object value;
            try {
                value = PythonJson.rawDecode(block, i, end);
            } catch (PyError e) {
                // Resynchronise at the next line: in the ToolRL format every call is on its own line.
                int eol = block.indexOf('\n', i);
                int next = eol < 0 ? block.length() : eol + 1;
                failures.add(new ParseFailure(clip(block.substring(i, eol < 0 ? block.length() : eol)),
                        "invalid JSON: " + e.getMessage().replaceFirst(": line \\d+ column \\d+ \\(char \\d+\\)$", "")));
                i = skipSpace(block, next);
                continue;
            }
            String source = block.substring(i, end[0]);
            if (value instanceof List<?> list) {
                for (Object element : list) readCall(element, source, argumentKeys, calls, keys, failures);
            } else {
                readCall(value, source, argumentKeys, calls, keys, failures);
            }
            i = skipSpace(block, end[0]);
        }
    }

    private static void readCall(Object value, String source, List<String> argumentKeys, List<ToolCall> calls,
                                 List<String> keys, List<ParseFailure> failures) {
        if (!(value instanceof Map<?, ?> raw)) {
            failures.add(new ParseFailure(clip(source), "not a JSON object but " + PyValues.typeName(value)));
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> obj = (Map<String, Object>) raw;
        Object name = obj.get("name");
        if (!(name instanceof String n) || n.isEmpty()) {
            failures.add(new ParseFailure(clip(source), name == null ? "no \"name\"" : "\"name\" is not a non-empty string"));
            return;
        }
        for (String key : argumentKeys) {
            if (!obj.containsKey(key)) continue;
            Object args = obj.get(key);
            if (!(args instanceof Map<?, ?> argMap)) {
                failures.add(new ParseFailure(clip(source), "\"" + key + "\" is " + PyValues.typeName(args) + ", not an object"));
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) argMap;
            calls.add(new ToolCall(n, typed));
            keys.add(key);
            return;
        }
        String other = obj.containsKey("arguments") ? "arguments" : obj.containsKey("parameters") ? "parameters" : null;
        String expected = String.join(" or ", argumentKeys.stream().map(k -> "\"" + k + "\"").toList());
        failures.add(new ParseFailure(clip(source), other == null
                ? "no " + expected + " object"
                : "arguments under \"" + other + "\" instead of " + expected));
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && PyStrings.isSpace(s.charAt(i))) i++;
        return i;
    }

    private static String between(String s, String open, String close) {
        int a = s.indexOf(open);
        if (a < 0) return null;
        int b = s.indexOf(close, a + open.length());
        return b < 0 ? s.substring(a + open.length()) : s.substring(a + open.length(), b);
    }

    /** Failure texts are for reading: keep them short. */
    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
