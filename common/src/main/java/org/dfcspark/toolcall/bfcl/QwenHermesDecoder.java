package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BFCL's {@code QwenFCHandler.decode_ast}: every block {@code <tool_call>\n...\n</tool_call>} (newlines
 * required, lazy, non-overlapping), {@code json.loads} on each, blocks that fail to parse silently dropped;
 * then a non-object block, a missing {@code name}/{@code arguments}, non-dict arguments or an unhashable name
 * make the whole decoding fail (a {@link PyError}, as the original raises).
 */
public final class QwenHermesDecoder {
    private static final Pattern BLOCK = Pattern.compile("<tool_call>\\n(.*?)\\n</tool_call>", Pattern.DOTALL);

    private QwenHermesDecoder() {}

    /** The parsed JSON of every block that parses ({@code _extract_tool_calls}). */
    public static List<Object> extractToolCalls(String text) {
        List<Object> result = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                result.add(PythonJson.loads(m.group(1)));
            } catch (PyError e) {
                // `except Exception: pass` in the original
            }
        }
        return result;
    }

    /** {@code decode_ast(text)}; throws {@link PyError} where the original raises. */
    public static List<DecodedCall> decode(String text) {
        List<Object> toolCalls = extractToolCalls(text);
        for (Object item : toolCalls) {
            if (!(item instanceof Map)) {
                throw PyError.valueError("Model did not return a list of function calls: " + text);
            }
        }
        List<DecodedCall> calls = new ArrayList<>();
        for (Object call : toolCalls) {
            Object name = PyValues.getItem(call, "name");
            Map<String, Object> args = PyValues.asDict(PyValues.getItem(call, "arguments"), "items");
            PyValues.requireHashable(name);   // {name: {...}} needs a hashable key
            calls.add(new DecodedCall(name, new LinkedHashMap<>(args)));
        }
        return calls;
    }
}
