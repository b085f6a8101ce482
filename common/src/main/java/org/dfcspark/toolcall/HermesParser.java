package org.dfcspark.toolcall;

import java.util.List;

/**
 * Qwen's native (hermes) tool-call format: any number of {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}
 * blocks; whitespace around the JSON is free, text outside the blocks (and inside {@code <think>}) is ignored.
 */
public final class HermesParser {
    private HermesParser() {}

    public static ParsedOutput parse(String output) {
        return ToolCallParser.parse(output, List.of("arguments"));
    }
}
