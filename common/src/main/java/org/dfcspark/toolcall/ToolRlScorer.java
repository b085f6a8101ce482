package org.dfcspark.toolcall;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PyStrings;
import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ToolRL's rule reward ({@code compute_score(solution_str, ground_truth, step)} in ToolRL's
 * {@code verl/utils/reward_score/rlla.py}) in its training-default configuration, reproduced exactly:
 * format reward 0/1 chosen by substring tests on the reference, correctness in [-3, 3] from name overlap,
 * parameter-key overlap and exact values (Python {@code ==}), greedy same-name matching, {@code -3} on any
 * exception while reading the prediction, and an exception propagated (recorded in {@link ToolRlScore#raises})
 * when the reference's own tool-call block does not parse.
 *
 * <p>Only the default configuration exists: an environment that sets one of the reward switches to
 * {@code "1"} is rejected with {@link IllegalArgumentException}.
 */
public final class ToolRlScorer {
    /** The environment of ToolRL's Qwen2.5 training runs. */
    public static final String DEFAULT_EXPERIMENT = "grpo-qwen2.5-3b";
    /** Reward switches of rlla.py; each changes the reward when set to "1". */
    public static final List<String> SWITCHES = List.of("WITHLENGTH", "REFINEDREWARD", "COARSEREWARD",
            "INTERMEDIATEREWARD", "CORRECTMAX1", "MAX1STEP30MAX3", "SCHEDULEREWARD", "SCHEDULELENGTH");

    private static final int FLAGS = Pattern.DOTALL | Pattern.UNIX_LINES;
    private static final Pattern RESPONSE_ONLY = Pattern.compile("^<think>.*?</think>\\n<response>.*?</response>$", FLAGS);
    private static final Pattern CALL_ONLY = Pattern.compile("^<think>.*?</think>\\n<tool_call>\\n.*?\\n</tool_call>$", FLAGS);
    private static final Pattern CALL_AND_RESPONSE = Pattern.compile(
            "^<think>.*?</think>\\n<tool_call>\\n.*?\\n</tool_call>\\n<response>.*?</response>$", FLAGS);
    private static final Pattern THINK_ONLY = Pattern.compile("^<think>.*?</think>$", FLAGS);

    private static final double TOOL_MAX = 3.0;
    private static final double TOOL_MIN = -3.0;

    private ToolRlScorer() {}

    /** {@code compute_score} with {@code EXPERIMENT_NAME=grpo-qwen2.5-3b} and no switch set. */
    public static ToolRlScore score(String solutionStr, String groundTruth) {
        return score(solutionStr, groundTruth, Map.of("EXPERIMENT_NAME", DEFAULT_EXPERIMENT));
    }

    /**
     * {@code compute_score(solution_str, ground_truth, step)} under the given environment variables
     * ({@code step} only matters to the switches, which are not supported).
     */
    public static ToolRlScore score(String solutionStr, String groundTruth, Map<String, String> env) {
        for (String s : SWITCHES) {
            if ("1".equals(env.get(s))) {
                throw new IllegalArgumentException("ToolRL reward switch " + s + "=1 is not supported "
                        + "(only the training default is reproduced)");
            }
        }
        String experiment = env.getOrDefault("EXPERIMENT_NAME", "");
        String predict;
        if (experiment.contains("llama")) {
            predict = PyStrings.strip(PyStrings.beforeFirst(
                    PyStrings.afterLast(solutionStr, "<|start_header_id|>assistant<|end_header_id|>"), "<|eot_id|>"));
        } else if (experiment.contains("qwen")) {
            predict = PyStrings.strip(PyStrings.beforeFirst(
                    PyStrings.afterLast(solutionStr, "<|im_start|>assistant"), "<|im_end|>"));
        } else {
            return ToolRlScore.raised("NotImplementedError", "Unknown model name: " + experiment);
        }
        double format = formatReward(predict, groundTruth);
        try {
            double correctness = correctnessReward(predict, groundTruth);
            return ToolRlScore.of(format, correctness);
        } catch (PyError e) {
            return ToolRlScore.raised(e.type(), e.pythonMessage());
        }
    }

    /** {@code customize_format_reward_func} for one response: 1.0 or 0.0. */
    static double formatReward(String response, String answer) {
        boolean ansResponse = answer.contains("<response>");
        boolean ansCall = answer.contains("<tool_call>");
        boolean ok;
        if (ansResponse && !ansCall) {
            ok = RESPONSE_ONLY.matcher(response).find()
                    && PyStrings.count(response, "<response>") == 1 && PyStrings.count(response, "</response>") == 1;
        } else if (!ansResponse && ansCall) {
            ok = CALL_ONLY.matcher(response).find()
                    && PyStrings.count(response, "<tool_call>") == 1 && PyStrings.count(response, "</tool_call>") == 1;
        } else if (ansResponse) {
            ok = CALL_AND_RESPONSE.matcher(response).find()
                    && PyStrings.count(response, "<tool_call>") == 1 && PyStrings.count(response, "</tool_call>") == 1
                    && PyStrings.count(response, "<response>") == 1 && PyStrings.count(response, "</response>") == 1;
        } else {
            ok = THINK_ONLY.matcher(response).find();
        }
        return ok ? 1.0 : 0.0;
    }

    /** Raises (PyError) only where the original raises: on the reference's tool-call lines. */
    static double correctnessReward(String response, String answer) {
        if (!answer.contains("<tool_call>")) return 0.0;
        List<Object> gtTools = callLines(answer);   // not guarded in the original: propagates
        try {
            if (!response.contains("<tool_call>") || !response.contains("</tool_call>")) return TOOL_MIN;
            List<Object> pdTools = callLines(response);
            return toolCallReward(gtTools, pdTools);
        } catch (PyError e) {
            return TOOL_MIN;   // the original's bare `except:`
        }
    }

    /** {@code [json.loads(t) for t in s.split("<tool_call>")[1].split("</tool_call>")[0].strip().split("\n")]}. */
    private static List<Object> callLines(String s) {
        String block = PyStrings.strip(PyStrings.beforeFirst(PyStrings.secondPiece(s, "<tool_call>"), "</tool_call>"));
        List<Object> calls = new ArrayList<>();
        for (String line : block.split("\n", -1)) calls.add(PythonJson.loads(line));
        return calls;
    }

    /** {@code compute_tool_call_reward(gt_tools, pd_tools, 3.0, -3.0)} in the default configuration. */
    private static double toolCallReward(List<Object> gtTools, List<Object> pdTools) {
        if (PyValues.eq(gtTools, pdTools)) return TOOL_MAX;

        List<Object> gtNames = new ArrayList<>();
        for (Object t : gtTools) gtNames.add(PyValues.getItem(t, "name"));
        List<Object> pdNames = new ArrayList<>();
        for (Object t : pdTools) pdNames.add(PyValues.getItem(t, "name"));
        double score = matchScore(gtNames, pdNames);

        double localMax = 1.0;
        Set<Integer> used = new HashSet<>();
        for (Object gtTool : gtTools) {
            Object gtName = PyValues.getItem(gtTool, "name");
            Object gtParams = PyValues.getItem(gtTool, "parameters");
            localMax += 1.0 + PyValues.len(gtParams);

            double bestScore = 0.0;
            int bestIndex = -1;
            for (int i = 0; i < pdTools.size(); i++) {
                Object pdTool = pdTools.get(i);
                if (used.contains(i) || !PyValues.eq(PyValues.getItem(pdTool, "name"), gtName)) continue;
                Object pdParams = PyValues.getItem(pdTool, "parameters");
                Map<String, Object> gtDict = PyValues.asDict(gtParams, "keys");
                Map<String, Object> pdDict = PyValues.asDict(pdParams, "keys");
                double paramScore = matchScore(new ArrayList<Object>(gtDict.keySet()), new ArrayList<Object>(pdDict.keySet()));
                double valueScore = 0;
                for (Map.Entry<String, Object> e : gtDict.entrySet()) {
                    if (pdDict.containsKey(e.getKey()) && PyValues.eq(pdDict.get(e.getKey()), e.getValue())) {
                        valueScore += 1.0;
                    }
                }
                double total = paramScore + valueScore;
                if (total > bestScore) {
                    bestScore = total;
                    bestIndex = i;
                }
            }
            // `if best_match:` — a matched call is a non-empty dict, hence always truthy
            if (bestIndex >= 0) {
                used.add(bestIndex);
                score += bestScore;
            }
        }
        return (TOOL_MAX - TOOL_MIN) * score / localMax + TOOL_MIN;
    }

    /**
     * {@code match_score(list1, list2)}: 1.0 if equal, 0.0 if either is empty, else the multiset
     * intersection over the multiset union (Counter semantics: {@code 1 == 1.0 == True} share a key,
     * lists and dicts are unhashable).
     */
    static double matchScore(List<Object> a, List<Object> b) {
        if (PyValues.eq(a, b)) return 1.0;
        if (a.isEmpty() || b.isEmpty()) return 0.0;
        List<Object[]> countA = counter(a);
        List<Object[]> countB = counter(b);
        long intersection = 0;
        for (Object[] ka : countA) {
            for (Object[] kb : countB) {
                if (PyValues.eq(ka[0], kb[0])) {
                    intersection += Math.min((Integer) ka[1], (Integer) kb[1]);
                    break;
                }
            }
        }
        long maxPossible = a.size() + b.size() - intersection;
        return maxPossible > 0 ? (double) intersection / maxPossible : 0.0;
    }

    /** {@code Counter(items)} as (key, count) pairs. */
    private static List<Object[]> counter(List<Object> items) {
        List<Object[]> counts = new ArrayList<>();
        for (Object item : items) {
            PyValues.requireHashable(item);
            Object[] slot = null;
            for (Object[] c : counts) {
                if (PyValues.eq(c[0], item)) {
                    slot = c;
                    break;
                }
            }
            if (slot == null) counts.add(new Object[] {item, 1});
            else slot[1] = (Integer) slot[1] + 1;
        }
        return counts;
    }
}

