package org.dfcspark.toolcall;

import java.util.List;

/**
 * ToolRL's output format: {@code <think>...</think>}, then a {@code <tool_call>} block with one
 * {@code {"name": ..., "parameters": {...}}} object per line, and/or {@code <response>...</response>}.
 */
public final class ToolRlParser {
    private ToolRlParser() {}

    public static ParsedOutput parse(String output) {
        return ToolCallParser.parse(output, List.of("parameters"));
    }
}
