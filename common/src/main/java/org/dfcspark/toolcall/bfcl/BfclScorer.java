package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PyError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * BFCL's single-turn evaluation of a Qwen (hermes) output, reproduced exactly: {@code eval_runner}'s
 * {@code _evaluate_single_relevance_entry} for (ir)relevance categories and {@code _evaluate_single_ast_entry}
 * (Qwen's {@code decode_ast} + {@code ast_checker}) for all AST categories, python, java and javascript,
 * live included. The category string selects everything, as in BFCL: {@code relevance}/{@code irrelevance}
 * in it selects the relevance check; {@code javascript} / {@code java} the language; {@code parallel},
 * else {@code multiple}, else simple, the checker. Multi-turn, agentic and format-sensitivity categories are
 * not AST-scored by BFCL and are rejected.
 */
public final class BfclScorer {
    private BfclScorer() {}

    /**
     * Scores one output.
     *
     * @param category        BFCL test category, e.g. {@code simple_python}, {@code live_parallel}, {@code irrelevance}
     * @param functions       the entry's {@code function} docs (list of dicts), as parsed by {@link org.dfcspark.py.PythonJson}
     * @param possibleAnswer  the possible-answer {@code ground_truth} list (ignored for relevance categories)
     * @param modelResultRaw  the raw model output text
     * @param underscoreToDot the model config's {@code underscore_to_dot} ({@code false} for every Qwen FC model)
     */
    public static BfclVerdict score(String category, Object functions, Object possibleAnswer, String modelResultRaw,
                                    boolean underscoreToDot) {
        if (category.contains("relevance") || category.contains("irrelevance")) {
            return relevance(category, modelResultRaw);
        }
        if (category.contains("format_sensitivity") || category.contains("multi_turn")
                || category.contains("web_search") || category.contains("memory")) {
            throw new IllegalArgumentException("BFCL category '" + category + "' is not scored by the AST checker");
        }
        AstChecker.Language language = category.contains("javascript") ? AstChecker.Language.JAVASCRIPT
                : category.contains("java") ? AstChecker.Language.JAVA : AstChecker.Language.PYTHON;

        List<DecodedCall> decoded;
        try {
            decoded = QwenHermesDecoder.decode(modelResultRaw);
        } catch (PyError e) {
            return BfclVerdict.invalid("ast_decoder:decoder_failed",
                    new ArrayList<>(List.of("Invalid syntax. Failed to decode AST. " + e.pythonMessage())));
        }
        // Qwen's decoder always yields the function-call format, so the wrong_output_format check never fires.
        try {
            AstChecker.Result r = new AstChecker(language, underscoreToDot).check(functions, decoded, possibleAnswer, category);
            return r.valid ? BfclVerdict.ok() : BfclVerdict.invalid(r.errorType, r.error);
        } catch (PyError e) {
            // eval_runner does not guard ast_checker: the original evaluation crashes on this entry
            return new BfclVerdict(false, null, new ArrayList<>(List.of(e.pythonMessage())), e.type());
        }
    }

    /** {@code _evaluate_single_relevance_entry}: irrelevance wants no call, relevance wants one. */
    private static BfclVerdict relevance(String category, String modelResultRaw) {
        boolean containsCall;
        String decodeError = null;
        try {
            containsCall = !QwenHermesDecoder.decode(modelResultRaw).isEmpty();
        } catch (PyError e) {
            containsCall = false;
            decodeError = e.pythonMessage();
        }
        boolean irrelevance = category.contains("irrelevance");
        if (irrelevance != containsCall) return BfclVerdict.ok();
        if (irrelevance) {
            return BfclVerdict.invalid("irrelevance_error:decoder_success",
                    new ArrayList<>(List.of("Valid syntax. Successfully decode AST when it should not.")));
        }
        return BfclVerdict.invalid("relevance_error:decoder_failed", new ArrayList<>(List.of(
                "Invalid syntax. Failed to decode AST when it should have. " + (decodeError == null ? "None" : decodeError))));
    }

    /**
     * Scores one row with the fields of the fixture file / {@code bin/dfc score --scorer bfcl} input:
     * {@code category}, {@code functions}, {@code possible_answer}, {@code model_result_raw} and optional
     * {@code underscore_to_dot}.
     */
    public static BfclVerdict score(Map<String, Object> row) {
        Object underscore = row.getOrDefault("underscore_to_dot", Boolean.FALSE);
        return score((String) row.get("category"), row.get("functions"), row.get("possible_answer"),
                (String) row.get("model_result_raw"), Boolean.TRUE.equals(underscore));
    }
}
