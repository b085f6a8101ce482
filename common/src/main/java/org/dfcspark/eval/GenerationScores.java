package org.dfcspark.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.data.TeacherForcing;
import org.dfcspark.py.PythonJson;
import org.dfcspark.toolcall.PaperScore;
import org.dfcspark.toolcall.PaperScorer;
import org.dfcspark.toolcall.StrictResult;
import org.dfcspark.toolcall.StrictScorer;
import org.dfcspark.toolcall.ToolRlScore;
import org.dfcspark.toolcall.ToolRlScorer;
import org.dfcspark.toolcall.bfcl.BfclScorer;
import org.dfcspark.toolcall.bfcl.BfclVerdict;

/**
 * One generation scored by all four scorers (SCIENCE.md §4), whatever the protocol's headline. Each scorer gets the
 * inputs it was written for, built from the prompt record:
 * <ul>
 *   <li>strict: the record's gold, gold kind and tool schemas;</li>
 *   <li>paper: the record's raw rendering (the paper's prompt, which lists tools as {@code N. Name: X}), whatever
 *       rendering the model was given: the paper scorer reads tool names only from that list;</li>
 *   <li>toolrl: {@code <|im_start|>assistant\n} + output, and the record's {@code ground_truth} extra, else ToolRL's
 *       answer block built from the gold ({@link TeacherForcing}, raw mode);</li>
 *   <li>bfcl: a BFCL record's own category and possible answers; any other record with tool-call gold becomes a
 *       BFCL question (functions = its tools with JSON-schema types mapped to BFCL's: number → float, object → dict;
 *       possible answer = each gold argument's value as the only acceptable one; category simple / multiple /
 *       parallel / parallel_multiple by the number of tools and calls); irrelevance gold is BFCL's irrelevance.</li>
 * </ul>
 * A scorer that has no input for a record (no ToolRL reference for a plain response, no BFCL form of a response
 * gold) gives null verdicts rather than a made-up zero.
 */
public record GenerationScores(boolean strictCorrect, String strictErrorType, boolean paperFormat, boolean paperToolCorrect,
                               int paperOverall, Double toolrlScore, Double toolrlFormat, Double toolrlCorrectness,
                               Boolean bfclValid, String bfclErrorType) implements Serializable {

    /** ToolRL's correctness reward at full marks: right names, parameter keys and values. */
    public static final double TOOLRL_MAX_CORRECTNESS = 3.0;

    /** ToolRL gave full marks for correctness (null when ToolRL has no reference for the record). */
    public Boolean toolrlCorrect() {
        return toolrlCorrectness == null ? null : toolrlCorrectness >= TOOLRL_MAX_CORRECTNESS;
    }

    public static GenerationScores of(PromptRecord r, String output) {
        StrictResult strict = StrictScorer.score(output, r.gold(), strictKind(r.goldKind()), r.tools());
        PaperScore paper = PaperScorer.score(output, Rendering.of(Rendering.Mode.RAW, null).render(r));
        Double trScore = null, trFormat = null, trCorrect = null;
        String groundTruth = toolRlReference(r);
        if (groundTruth != null) {
            ToolRlScore t = ToolRlScorer.score("<|im_start|>assistant\n" + output, groundTruth);
            if (!t.isRaised()) {
                trScore = t.score();
                trFormat = t.formatScore();
                trCorrect = t.correctnessScore();
            }
        }
        Boolean bfclValid = null;
        String bfclError = null;
        try {
            Map<String, Object> question = bfclQuestion(r);
            if (question != null) {
                question.put("model_result_raw", output);
                BfclVerdict v = BfclScorer.score(question);
                bfclValid = v.raises() == null && v.valid();
                bfclError = v.raises() != null ? "raises:" + v.raises() : v.errorType();
            }
        } catch (IllegalArgumentException e) {
            bfclError = "not scorable: " + e.getMessage(); // e.g. a BFCL category the AST checker does not take
        }
        return new GenerationScores(strict.correct(), strict.errorType(), paper.formatAccuracy(), paper.toolCorrectness(),
                paper.overallScore(), trScore, trFormat, trCorrect, bfclValid, bfclError);
    }

    /** The strict scorer knows tool_call, response and irrelevance; plain text (none) expects no call, as response. */
    private static String strictKind(String goldKind) {
        return PromptRecord.NONE.equals(goldKind) ? PromptRecord.RESPONSE : goldKind;
    }

    private static String toolRlReference(PromptRecord r) {
        String own = r.extras().get("ground_truth");
        if (own != null) return own;
        return TeacherForcing.answer(Rendering.Mode.RAW, null, r);
    }

    /** The record as a BFCL question (category, functions, possible_answer), or null when BFCL cannot score it. */
    private static Map<String, Object> bfclQuestion(PromptRecord r) {
        List<Object> functions = new ArrayList<>();
        for (String t : r.tools()) functions.add(bfclTypes(PythonJson.loads(t)));
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("functions", functions);
        String own = r.extras().get("possible_answer");
        if ("bfcl".equals(r.source())) {
            q.put("category", r.category());
            if (own != null) q.put("possible_answer", PythonJson.loads(own));
            return q;
        }
        if (PromptRecord.IRRELEVANCE.equals(r.goldKind())) {
            q.put("category", "irrelevance");
            return q;
        }
        if (!PromptRecord.TOOL_CALL.equals(r.goldKind()) || r.gold() == null) return null;
        List<Object> answers = new ArrayList<>();
        for (Object call : (List<?>) PythonJson.loads(r.gold())) {
            Map<?, ?> c = (Map<?, ?>) call;
            Map<String, Object> params = new LinkedHashMap<>();
            Object args = c.get("arguments");
            if (args instanceof Map<?, ?> m) {
                for (var e : m.entrySet()) params.put((String) e.getKey(), new ArrayList<>(Collections.singletonList(e.getValue())));
            }
            Map<String, Object> one = new LinkedHashMap<>();
            one.put((String) c.get("name"), params);
            answers.add(one);
        }
        boolean parallel = answers.size() > 1, multiple = r.tools().size() > 1;
        q.put("category", parallel ? (multiple ? "parallel_multiple" : "parallel") : (multiple ? "multiple" : "simple_python"));
        q.put("possible_answer", answers);
        return q;
    }

    /** JSON-schema type names → BFCL's Python type names, at every depth. */
    @SuppressWarnings("unchecked")
    private static Object bfclTypes(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (var e : m.entrySet()) {
                Object v = e.getValue();
                if ("type".equals(e.getKey()) && v instanceof String s) v = switch (s) {
                    case "number" -> "float";
                    case "object" -> "dict";
                    default -> s;
                };
                out.put((String) e.getKey(), bfclTypes(v));
            }
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object o : l) out.add(bfclTypes(o));
            return out;
        }
        return node;
    }
}
