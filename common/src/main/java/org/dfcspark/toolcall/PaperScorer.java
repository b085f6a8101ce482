package org.dfcspark.toolcall;

import org.dfcspark.py.PyStrings;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seed paper's scorer ({@code score_response(response, prompt)} in model_diffing_crosscoders'
 * {@code sweep_eval.py}), reproduced exactly, quirks included:
 * <ul>
 *   <li>format = the lower-cased response contains {@code <tool_call>} AND a {@code "name": "..."} appears
 *       anywhere (think text and parameters included);</li>
 *   <li>the called name is the FIRST {@code "name": "..."} anywhere, lower-cased;</li>
 *   <li>tool correct = that name equals, contains or is contained in a tool listed in the prompt as
 *       {@code N. Name: X} (regex without MULTILINE, so adjacent lines skip every second tool);</li>
 *   <li>arguments and the ground truth are never looked at.</li>
 * </ul>
 * Python regex semantics are kept: {@code \s} is Python's whitespace set, {@code \d} any Unicode decimal
 * digit, {@code .} anything but {@code \n}, {@code $} the end or just before a final {@code \n}.
 */
public final class PaperScorer {
    private static final String S = PyStrings.SPACE_CLASS;
    private static final Pattern JSON_NAME = Pattern.compile("\"name\"" + S + "*:" + S + "*\"([^\"]+)\"");
    private static final Pattern TOOL_LINE = Pattern.compile(
            "(?:^|\\n)\\p{Nd}+\\." + S + "*Name:" + S + "*(.+?)(?:\\n|$)", Pattern.UNIX_LINES);

    private PaperScorer() {}

    public static PaperScore score(String response, String prompt) {
        boolean hasToolCall = PyStrings.lower(response).contains("<tool_call>");
        Matcher called = JSON_NAME.matcher(response);
        boolean hasJsonName = called.find();
        boolean formatOk = hasToolCall && hasJsonName;

        List<String> toolNames = promptToolNames(prompt);
        String calledName = hasJsonName ? PyStrings.lower(called.group(1)) : "";

        boolean toolCorrect = false;
        if (!toolNames.isEmpty() && !calledName.isEmpty()) {
            for (String t : toolNames) {
                if (calledName.equals(t) || t.contains(calledName) || calledName.contains(t)) {
                    toolCorrect = true;
                    break;
                }
            }
        }
        int overall = formatOk && toolCorrect ? 2 : formatOk ? 0 : toolCorrect ? 1 : -1;
        return new PaperScore(formatOk, toolCorrect, overall, toolNames, calledName);
    }

    /** The tool names the seed reads from the prompt: stripped, lower-cased captures of {@code N. Name: X}. */
    public static List<String> promptToolNames(String prompt) {
        List<String> names = new ArrayList<>();
        Matcher m = TOOL_LINE.matcher(prompt);
        while (m.find()) names.add(PyStrings.lower(PyStrings.strip(m.group(1))));
        return names;
    }
}
