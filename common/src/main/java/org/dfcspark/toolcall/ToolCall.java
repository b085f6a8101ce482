package org.dfcspark.toolcall;

import java.util.Map;

/**
 * One parsed tool call: the function name and its arguments as Python-typed JSON values
 * ({@link org.dfcspark.py.PythonJson}: Long/BigInteger = int, Double = float, so {@code 2} and
 * {@code 2.0} stay distinct).
 */
public record ToolCall(String name, Map<String, Object> arguments) {
    public ToolCall {
        arguments = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arguments));
    }
}
