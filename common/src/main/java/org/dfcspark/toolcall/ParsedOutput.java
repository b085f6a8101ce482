package org.dfcspark.toolcall;

import java.util.List;

/**
 * What a parser read from one model output.
 *
 * @param calls        the tool calls, in output order
 * @param failures     tool-call attempts that could not be read (broken JSON, missing name, unclosed block, ...)
 * @param argumentKeys for each call, the key its arguments came under ({@code arguments} or {@code parameters})
 * @param think        the text inside the first {@code <think>...</think>} (or up to the end if unclosed), or null
 * @param response     the text inside the first {@code <response>...</response>} outside the think text, or null
 */
public record ParsedOutput(List<ToolCall> calls, List<ParseFailure> failures, List<String> argumentKeys,
                           String think, String response) {
    public ParsedOutput {
        calls = List.copyOf(calls);
        failures = List.copyOf(failures);
        argumentKeys = List.copyOf(argumentKeys);
    }

    /** True when the output attempted at least one tool call (read or not). */
    public boolean attemptedCall() {
        return !calls.isEmpty() || !failures.isEmpty();
    }
}
