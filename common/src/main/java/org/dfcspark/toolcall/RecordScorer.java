package org.dfcspark.toolcall;

import org.dfcspark.toolcall.bfcl.BfclScorer;
import org.dfcspark.toolcall.bfcl.BfclVerdict;
import org.dfcspark.py.PyRepr;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores one JSON record with one of the four scorers: reads the scorer's input fields from the record and
 * returns the verdict fields to add to it (the field layout of {@code data-schemas/scoring.md}; for the three
 * faithful scorers these are the names and values of the oracle fixtures' {@code expected} objects).
 * A record that lacks a field or has one of the wrong type is an {@link IllegalArgumentException} naming it.
 */
public final class RecordScorer {
    public static final List<String> SCORERS = List.of("paper", "toolrl", "bfcl", "strict");

    private RecordScorer() {}

    public static Map<String, Object> score(String scorer, Map<String, Object> row) {
        switch (scorer) {
            case "paper":
                return paper(row);
            case "toolrl":
                return toolRl(row);
            case "bfcl":
                return bfcl(row);
            case "strict":
                return strict(row);
            default:
                throw new IllegalArgumentException("unknown scorer '" + scorer + "' (expected one of " + SCORERS + ")");
        }
    }

    private static Map<String, Object> paper(Map<String, Object> row) {
        PaperScore s = PaperScorer.score(string(row, "response"), string(row, "prompt"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format_accuracy", s.formatAccuracy());
        out.put("tool_correctness", s.toolCorrectness());
        out.put("overall_score", (long) s.overallScore());
        return out;
    }

    private static Map<String, Object> toolRl(Map<String, Object> row) {
        Map<String, String> env = new LinkedHashMap<>();
        Object rawEnv = row.get("env");
        if (rawEnv == null) {
            env.put("EXPERIMENT_NAME", ToolRlScorer.DEFAULT_EXPERIMENT);
        } else if (rawEnv instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) env.put((String) e.getKey(), PyRepr.str(e.getValue()));
        } else {
            throw new IllegalArgumentException("field 'env' must be an object of environment variables");
        }
        ToolRlScore s = ToolRlScorer.score(string(row, "solution_str"), string(row, "ground_truth"), env);
        Map<String, Object> out = new LinkedHashMap<>();
        if (s.isRaised()) {
            out.put("raises", s.raises());
            out.put("message", s.message());
        } else {
            out.put("score", s.score());
            out.put("format_score", s.formatScore());
            out.put("correctness_score", s.correctnessScore());
            out.put("length_score", (long) s.lengthScore());
        }
        return out;
    }

    private static Map<String, Object> bfcl(Map<String, Object> row) {
        String category = string(row, "category");
        string(row, "model_result_raw");
        if (!(row.get("functions") instanceof List)) throw new IllegalArgumentException("field 'functions' must be a list");
        boolean relevance = category.contains("relevance");
        if (!relevance && !(row.get("possible_answer") instanceof List)) {
            throw new IllegalArgumentException("field 'possible_answer' must be a list for category " + category);
        }
        Object underscore = row.get("underscore_to_dot");
        if (underscore != null && !(underscore instanceof Boolean)) {
            throw new IllegalArgumentException("field 'underscore_to_dot' must be true or false");
        }
        BfclVerdict v = BfclScorer.score(row);
        Map<String, Object> out = new LinkedHashMap<>();
        if (v.raises() != null) {
            out.put("raises", v.raises());
            out.put("message", v.error().get(0));
        } else {
            out.put("valid", v.valid());
            out.put("error_type", v.errorType());
            out.put("error", v.error());
        }
        return out;
    }

    private static Map<String, Object> strict(Map<String, Object> row) {
        Object gold = row.get("gold");
        String goldJson = gold == null ? null : gold instanceof String s ? s : PythonJson.dumps(gold);
        List<String> tools = new ArrayList<>();
        Object rawTools = row.get("tools");
        if (rawTools instanceof List<?> list) {
            for (Object t : list) tools.add(t instanceof String s ? s : PythonJson.dumps(t));
        } else if (rawTools != null) {
            throw new IllegalArgumentException("field 'tools' must be a list of tool schemas");
        }
        StrictResult r = StrictScorer.score(string(row, "output"), goldJson, string(row, "gold_kind"), tools);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("correct", r.correct());
        out.put("name_correct", r.nameCorrect());
        out.put("error_type", r.errorType());
        out.put("error", r.error());
        out.put("n_expected", (long) r.expectedCalls());
        out.put("n_called", (long) r.calls());
        out.put("n_parse_failures", (long) r.parseFailures());
        out.put("output_format", r.outputFormat());
        return out;
    }

    private static String string(Map<String, Object> row, String field) {
        Object v = row.get(field);
        if (v == null) throw new IllegalArgumentException("missing field '" + field + "'");
        if (!(v instanceof String s)) throw new IllegalArgumentException("field '" + field + "' must be a string");
        return s;
    }
}
