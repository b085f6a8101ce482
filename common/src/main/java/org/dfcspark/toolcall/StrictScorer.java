package org.dfcspark.toolcall;

import org.dfcspark.toolcall.bfcl.BfclStrings;
import org.dfcspark.py.PyError;
import org.dfcspark.py.PyRepr;
import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Our strict tool-call scorer: the called names AND arguments must match the gold calls, checked with BFCL's
 * rules, on either output format (hermes {@code "arguments"} or ToolRL {@code "parameters"}), with no-call gold
 * (irrelevance, plain response) handled. Fixes what the field's scorers get wrong (see the fixtures' README):
 * <ul>
 *   <li>names are compared exactly (case-sensitive), never by substring;</li>
 *   <li>every gold argument must be present; an argument not in the gold is wrong unless the tool schema
 *       declares it with a default equal to the value; a gold argument may be omitted only when the schema's
 *       default equals it; a parameter the schema marks required must be present;</li>
 *   <li>types follow BFCL (bool is not int, int is not float, "5" is not 5) with int-to-float promotion where
 *       the schema or the gold says float, at every depth (BFCL promotes only at the top level);</li>
 *   <li>strings compare after BFCL's standardisation (spaces and {@code , . / - _ * ^} removed, lower-cased,
 *       {@code '} as {@code "}); lists compare in order, dicts by keys;</li>
 *   <li>parallel calls are matched order-free by a maximum bipartite matching (BFCL matches greedily);</li>
 *   <li>any unreadable call attempt makes the answer wrong.</li>
 * </ul>
 * Model output never makes it throw: the gold and tools are validated when the scorer is built
 * ({@link #of}), and scoring an output cannot fail.
 */
public final class StrictScorer {
    public static final String TOOL_CALL = "tool_call";
    public static final String RESPONSE = "response";
    public static final String IRRELEVANCE = "irrelevance";

    private static final List<String> ARGUMENT_KEYS = List.of("arguments", "parameters");

    private final List<ToolCall> gold;
    private final String goldKind;
    private final Map<String, ToolSchema> tools;

    private StrictScorer(List<ToolCall> gold, String goldKind, Map<String, ToolSchema> tools) {
        this.gold = gold;
        this.goldKind = goldKind;
        this.tools = tools;
    }

    /** Scores one output (the reward API): {@code correct()} is the verdict. */
    public static StrictResult score(String output, String goldJson, String goldKind, List<String> toolsJson) {
        return of(goldJson, goldKind, toolsJson).score(output);
    }

    /**
     * A scorer for one prompt's gold, reusable over many outputs.
     *
     * @param goldJson  JSON list of {@code {"name", "arguments"|"parameters"}} (a single object is accepted);
     *                  may be null for no-call kinds, and for {@code tool_call} when any well-formed call
     *                  is right (BFCL's live_relevance: no ground truth, correct = a non-empty decodable call)
     * @param goldKind  {@code tool_call}, {@code response} or {@code irrelevance}
     * @param toolsJson the prompt's tool schemas (may be null or empty: then only the gold is used)
     * @throws IllegalArgumentException when the gold or a tool schema is malformed
     */
    public static StrictScorer of(String goldJson, String goldKind, List<String> toolsJson) {
        if (!List.of(TOOL_CALL, RESPONSE, IRRELEVANCE).contains(goldKind)) {
            throw new IllegalArgumentException("gold kind must be tool_call, response or irrelevance, got " + goldKind);
        }
        List<ToolCall> gold = TOOL_CALL.equals(goldKind) ? parseGold(goldJson) : List.of();
        Map<String, ToolSchema> tools = new HashMap<>();
        if (toolsJson != null) {
            for (String t : toolsJson) {
                ToolSchema s = ToolSchema.parse(t);
                tools.put(s.name(), s);
            }
        }
        return new StrictScorer(gold, goldKind, tools);
    }

    private static List<ToolCall> parseGold(String goldJson) {
        if (goldJson == null) return null; // relevance: any well-formed call is right
        Object doc;
        try {
            doc = PythonJson.loads(goldJson);
        } catch (PyError e) {
            throw new IllegalArgumentException("gold is not valid JSON: " + e.getMessage());
        }
        List<?> items = doc instanceof List<?> l ? l : List.of(doc);
        List<ToolCall> calls = new ArrayList<>();
        for (Object item : items) {
            ParsedOutput p = ToolCallParser.parse("<tool_call>" + PythonJson.dumps(item) + "</tool_call>", ARGUMENT_KEYS);
            if (!p.failures().isEmpty() || p.calls().size() != 1) {
                throw new IllegalArgumentException("gold call " + PyRepr.repr(item) + " is not {\"name\", \"arguments\"}: "
                        + (p.failures().isEmpty() ? "" : p.failures().get(0).reason()));
            }
            calls.add(p.calls().get(0));
        }
        if (calls.isEmpty()) throw new IllegalArgumentException("gold kind tool_call with an empty gold list");
        return calls;
    }

    public StrictResult score(String output) {
        ParsedOutput parsed = ToolCallParser.parse(output, ARGUMENT_KEYS);
        try {
            return judge(parsed);
        } catch (RuntimeException e) {
            // Not expected; the reward API promises never to throw on model output.
            return result(false, false, "scorer_error", String.valueOf(e), parsed);
        }
    }

    private StrictResult judge(ParsedOutput parsed) {
        List<ToolCall> calls = parsed.calls();
        if (!TOOL_CALL.equals(goldKind)) {
            boolean ok = !parsed.attemptedCall();
            return ok ? result(true, true, null, null, parsed)
                    : result(false, false, "unexpected_call",
                    "gold is " + goldKind + " (no call) but the output attempts " + (calls.size() + parsed.failures().size()) + " call(s)", parsed);
        }
        if (gold == null) {
            boolean ok = parsed.failures().isEmpty() && !calls.isEmpty();
            return ok ? result(true, true, null, null, parsed)
                    : result(false, false, parsed.failures().isEmpty() ? "no_call" : "parse_error",
                    "relevance: a well-formed call is expected", parsed);
        }
        boolean namesOk = sortedNames(calls).equals(sortedNames(gold));
        if (!parsed.failures().isEmpty()) {
            ParseFailure f = parsed.failures().get(0);
            return result(false, namesOk, "parse_error", f.reason() + ": " + f.text(), parsed);
        }
        if (calls.isEmpty()) return result(false, false, "no_call", "no tool call in the output", parsed);
        if (calls.size() != gold.size()) {
            return result(false, false, "wrong_count", calls.size() + " call(s), gold has " + gold.size(), parsed);
        }
        if (!namesOk) {
            return result(false, false, "wrong_name", "called " + sortedNames(calls) + ", gold " + sortedNames(gold), parsed);
        }
        Mismatch[][] verdicts = new Mismatch[gold.size()][calls.size()];
        boolean[][] compatible = new boolean[gold.size()][calls.size()];
        for (int g = 0; g < gold.size(); g++) {
            for (int c = 0; c < calls.size(); c++) {
                verdicts[g][c] = compareCall(calls.get(c), gold.get(g));
                compatible[g][c] = verdicts[g][c] == null;
            }
        }
        int[] match = BipartiteMatching.maximum(compatible);
        for (int g = 0; g < gold.size(); g++) {
            if (match[g] >= 0) continue;
            // Explain with the first same-name call that is left unmatched.
            boolean[] used = new boolean[calls.size()];
            for (int m : match) if (m >= 0) used[m] = true;
            for (int c = 0; c < calls.size(); c++) {
                if (!used[c] && calls.get(c).name().equals(gold.get(g).name())) {
                    Mismatch why = verdicts[g][c];
                    return result(false, true, why.type, gold.get(g).name() + ": " + why.detail, parsed);
                }
            }
            return result(false, true, "value_error", gold.get(g).name() + ": no call matches", parsed);
        }
        return result(true, true, null, null, parsed);
    }

    private StrictResult result(boolean correct, boolean nameCorrect, String errorType, String error, ParsedOutput parsed) {
        return new StrictResult(correct, nameCorrect, errorType, error, gold == null ? 0 : gold.size(), parsed.calls().size(),
                parsed.failures().size(), outputFormat(parsed), parsed);
    }

    private static String outputFormat(ParsedOutput parsed) {
        boolean hermes = parsed.argumentKeys().contains("arguments");
        boolean toolrl = parsed.argumentKeys().contains("parameters");
        return hermes && toolrl ? "mixed" : hermes ? "hermes" : toolrl ? "toolrl" : "none";
    }

    private static List<String> sortedNames(List<ToolCall> calls) {
        return calls.stream().map(ToolCall::name).sorted().toList();
    }

    /** Why a call does not match a gold call (null = it matches). */
    record Mismatch(String type, String detail) {}

    private Mismatch compareCall(ToolCall call, ToolCall goldCall) {
        if (!call.name().equals(goldCall.name())) return new Mismatch("wrong_name", "called " + call.name());
        ToolSchema schema = tools.get(goldCall.name());
        Map<String, Object> args = call.arguments();
        Map<String, Object> want = goldCall.arguments();
        if (schema != null) {
            for (String r : schema.required()) {
                if (!args.containsKey(r)) return new Mismatch("missing_arg", "required argument '" + r + "' missing");
            }
        }
        for (Map.Entry<String, Object> e : want.entrySet()) {
            String p = e.getKey();
            if (args.containsKey(p)) continue;
            ToolSchema.Param decl = schema == null ? null : schema.params().get(p);
            boolean defaultCovers = decl != null && decl.hasDefault()
                    && compare(e.getValue(), decl.defaultValue(), decl.type(), decl.itemType()) == null;
            if (!defaultCovers) return new Mismatch("missing_arg", "argument '" + p + "' missing");
        }
        for (Map.Entry<String, Object> e : args.entrySet()) {
            String p = e.getKey();
            ToolSchema.Param decl = schema == null ? null : schema.params().get(p);
            String type = decl == null ? null : decl.type();
            String itemType = decl == null ? null : decl.itemType();
            if (!want.containsKey(p)) {
                boolean isDefault = decl != null && decl.hasDefault()
                        && compare(e.getValue(), decl.defaultValue(), type, itemType) == null;
                if (!isDefault) return new Mismatch("unexpected_arg", "argument '" + p + "' not in the gold call");
                continue;
            }
            Mismatch m = compare(e.getValue(), want.get(p), type, itemType);
            if (m != null) return new Mismatch(m.type, "argument '" + p + "': " + m.detail);
        }
        return null;
    }

    /**
     * Compares a model value with a gold value under BFCL's type and value rules; {@code type}/{@code itemType}
     * are the schema's Python types (null when unknown).
     */
    static Mismatch compare(Object value, Object goldValue, String type, String itemType) {
        if (type != null && !conforms(value, type, itemType)) {
            return new Mismatch("type_error", "expected " + type + ", got " + PyValues.typeName(value) + " " + PyRepr.repr(value));
        }
        boolean floatWanted = "float".equals(type) || goldValue instanceof Double;
        if (goldValue instanceof String g) {
            if (!(value instanceof String v)) return typeError(value, goldValue);
            return standardize(v).equals(standardize(g)) ? null : valueError(value, goldValue);
        }
        if (goldValue instanceof Boolean || goldValue == null) {
            if (!PyValues.sameType(value, goldValue)) return typeError(value, goldValue);
            return Objects.equals(value, goldValue) ? null : valueError(value, goldValue);
        }
        if (PyValues.isInt(goldValue) || goldValue instanceof Double) {
            boolean numeric = PyValues.isInt(value) || value instanceof Double;
            if (!numeric || (value instanceof Double && !floatWanted)) return typeError(value, goldValue);
            return numericEquals(value, goldValue) ? null : valueError(value, goldValue);
        }
        if (goldValue instanceof List<?> g) {
            if (!(value instanceof List<?> v)) return typeError(value, goldValue);
            if (v.size() != g.size()) return valueError(value, goldValue);
            for (int i = 0; i < g.size(); i++) {
                Mismatch m = compare(v.get(i), g.get(i), itemType, null);
                if (m != null) return new Mismatch(m.type, "item " + i + ": " + m.detail);
            }
            return null;
        }
        if (goldValue instanceof Map<?, ?> g) {
            if (!(value instanceof Map<?, ?> v)) return typeError(value, goldValue);
            if (!v.keySet().equals(g.keySet())) return valueError(value, goldValue);
            for (Object k : g.keySet()) {
                Mismatch m = compare(v.get(k), g.get(k), null, null);
                if (m != null) return new Mismatch(m.type, "key '" + k + "': " + m.detail);
            }
            return null;
        }
        return valueError(value, goldValue);
    }

    /** Does the value have the schema's type (ints pass as floats; list items checked when declared)? */
    private static boolean conforms(Object value, String type, String itemType) {
        switch (type) {
            case "float":
                return value instanceof Double || PyValues.isInt(value);
            case "list":
                if (!(value instanceof List<?> list)) return false;
                if (itemType == null) return true;
                for (Object item : list) if (!conforms(item, itemType, null)) return false;
                return true;
            default:
                return PyValues.typeName(value).equals(type);
        }
    }

    private static boolean numericEquals(Object a, Object b) {
        if (a instanceof Double da && (Double.isNaN(da) || Double.isInfinite(da))) return a.equals(b) && !da.isNaN();
        if (b instanceof Double db && (Double.isNaN(db) || Double.isInfinite(db))) return false;
        return toDecimal(a).compareTo(toDecimal(b)) == 0;
    }

    private static BigDecimal toDecimal(Object n) {
        if (n instanceof Double d) return new BigDecimal(d);
        if (n instanceof BigInteger bi) return new BigDecimal(bi);
        return BigDecimal.valueOf(((Number) n).longValue());
    }

    private static String standardize(String s) {
        return BfclStrings.standardize(s);
    }

    private static Mismatch typeError(Object value, Object goldValue) {
        return new Mismatch("type_error", "got " + PyValues.typeName(value) + " " + PyRepr.repr(value)
                + ", gold " + PyValues.typeName(goldValue) + " " + PyRepr.repr(goldValue));
    }

    private static Mismatch valueError(Object value, Object goldValue) {
        return new Mismatch("value_error", "got " + PyRepr.repr(value) + ", gold " + PyRepr.repr(goldValue));
    }

    /** Kuhn's augmenting-path maximum matching (gold rows to call columns); tiny sizes. */
    static final class BipartiteMatching {
        private BipartiteMatching() {}

        /** match[g] = matched call index or -1. */
        static int[] maximum(boolean[][] compatible) {
            int rows = compatible.length;
            int cols = rows == 0 ? 0 : compatible[0].length;
            int[] colOwner = new int[cols];
            Arrays.fill(colOwner, -1);
            for (int g = 0; g < rows; g++) augment(g, compatible, colOwner, new boolean[cols]);
            int[] match = new int[rows];
            Arrays.fill(match, -1);
            for (int c = 0; c < cols; c++) if (colOwner[c] >= 0) match[colOwner[c]] = c;
            return match;
        }

        private static boolean augment(int g, boolean[][] compatible, int[] colOwner, boolean[] seen) {
            for (int c = 0; c < colOwner.length; c++) {
                if (!compatible[g][c] || seen[c]) continue;
                seen[c] = true;
                if (colOwner[c] < 0 || augment(colOwner[c], compatible, colOwner, seen)) {
                    colOwner[c] = g;
                    return true;
                }
            }
            return false;
        }
    }
}
