package org.dfcspark.jobs.evaluate;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.eval.ConditionStats;

/**
 * The evaluation's tables (data-schemas/evaluation.md): the schemas, and the per-condition and summary statistics
 * computed from the generations. Conditions are typed columns throughout; {@code condition_key} is for reading only.
 */
public final class EvaluationTables {
    /** The four scorers, each with the boolean verdict its rates use. */
    public static final List<String> SCORERS = List.of("strict", "paper", "toolrl", "bfcl");
    static final Map<String, String> VERDICT = Map.of("strict", "strict_correct", "paper", "paper_tool_correct",
            "toolrl", "toolrl_correct", "bfcl", "bfcl_valid");

    /** The columns that say which condition a row is. */
    static final List<StructField> CONDITION = List.of(f("experiment", StringType), f("model", StringType), f("positions", StringType),
            f("mode", StringType), f("partition", StringType), f("alpha", DoubleType), f("n_features", IntegerType),
            f("features", createArrayType(IntegerType)), f("keep_error", BooleanType), f("side", StringType), f("condition_key", StringType));

    public static final StructType FEATURES = schema(List.of(f("crosscoder", StringType), f("hook", StringType), f("partition", StringType),
            f("feature", IntegerType), f("cohens_d", DoubleType), f("auroc", DoubleType), f("mean_tool", DoubleType),
            f("mean_generic", DoubleType), f("rank", IntegerType)));

    public static final StructType GENERATIONS = schema(concat(List.of(f("crosscoder", StringType), f("hook", StringType), f("protocol", StringType)),
            CONDITION, List.of(f("prompt_id", StringType), f("prompt_index", IntegerType), f("prompt_ids", createArrayType(IntegerType)),
                    f("generated_ids", createArrayType(IntegerType)), f("text", StringType),
                    f("strict_correct", BooleanType), f("strict_error_type", StringType),
                    f("paper_format", BooleanType), f("paper_tool_correct", BooleanType), f("paper_overall", IntegerType),
                    f("toolrl_score", DoubleType), f("toolrl_format", DoubleType), f("toolrl_correctness", DoubleType),
                    f("toolrl_correct", BooleanType), f("bfcl_valid", BooleanType), f("bfcl_error_type", StringType))));

    /** The generations' columns the per-condition statistics read: all but the texts and token ids. */
    static final StructType VERDICTS = schema(java.util.Arrays.stream(GENERATIONS.fields())
            .filter(x -> !List.of("text", "prompt_ids", "generated_ids").contains(x.name())).toList());

    public static final StructType CONDITIONS = schema(concat(List.of(f("crosscoder", StringType), f("hook", StringType), f("protocol", StringType)),
            CONDITION, List.of(f("mean_f", createArrayType(DoubleType)), f("headline", StringType), f("n", IntegerType)), perScorer(
                    "n", IntegerType, "rate", DoubleType, "rate_lower", DoubleType, "rate_upper", DoubleType,
                    "diff", DoubleType, "diff_lower", DoubleType, "diff_upper", DoubleType)));

    /** The condition columns without features and condition_key (features differ between crosscoders). */
    static final List<String> SUMMARY_KEY = List.of("hook", "protocol", "experiment", "model", "positions", "mode", "partition", "alpha",
            "n_features", "keep_error", "side");

    public static final StructType SUMMARY = schema(concat(List.of(f("hook", StringType), f("protocol", StringType)),
            CONDITION.subList(0, CONDITION.size() - 1).stream().filter(x -> !x.name().equals("features")).toList(),
            List.of(f("headline", StringType), f("n_crosscoders", IntegerType)),
            perScorer("rate_mean", DoubleType, "rate_std", DoubleType, "diff_mean", DoubleType, "diff_std", DoubleType)));

    private EvaluationTables() {}

    /**
     * One row per (crosscoder, hook, condition): rate and Wilson 95% CI per scorer over the prompts where that scorer
     * has a verdict, and the paired difference to the same model's clean run on the same prompts (paired-t 95% CI).
     *
     * @param generations rows with the {@link #GENERATIONS} columns, any order
     * @param meanF       crosscoder + "\t" + hook → every feature's mean activation on the ranking's tool prompts
     */
    public static List<Row> conditions(List<Row> generations, Map<String, double[]> meanF, String headline, long seed) {
        Map<List<Object>, List<Row>> byCondition = new LinkedHashMap<>();
        for (Row r : sorted(generations)) {
            byCondition.computeIfAbsent(List.of(r.getAs("crosscoder"), r.getAs("hook"), r.getAs("condition_key")), k -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        for (var e : byCondition.entrySet()) {
            List<Row> rows = e.getValue();
            Row first = rows.get(0);
            List<Row> clean = byCondition.get(List.of(first.getAs("crosscoder"), first.getAs("hook"), "clean/" + first.getAs("model")));
            List<Object> v = new ArrayList<>();
            v.add(first.getAs("crosscoder"));
            v.add(first.getAs("hook"));
            v.add(first.getAs("protocol"));
            for (StructField c : CONDITION) v.add(first.getAs(c.name()));
            v.add("add".equals(first.getAs("mode")) ? meanFOf(first, meanF.get(first.getAs("crosscoder") + "\t" + first.getAs("hook"))) : null);
            v.add(headline);
            v.add(rows.size());
            for (String s : SCORERS) v.addAll(stats(s, rows, clean, seed));
            out.add(new GenericRowWithSchema(v.toArray(), CONDITIONS));
        }
        return out;
    }

    /** Per condition across crosscoders (and features): mean and sample std of each scorer's rate and difference. */
    public static List<Row> summary(List<Row> conditions, String headline) {
        Map<List<Object>, List<Row>> groups = new LinkedHashMap<>();
        for (Row r : conditions) {
            List<Object> key = new ArrayList<>();
            for (String k : SUMMARY_KEY) key.add(r.getAs(k));
            groups.computeIfAbsent(key, x -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            List<Object> v = new ArrayList<>(e.getKey());
            v.add(headline);
            v.add(e.getValue().size());
            for (String s : SCORERS) {
                for (String col : List.of("_rate", "_diff")) {
                    List<Double> xs = new ArrayList<>();
                    for (Row r : e.getValue()) if (r.getAs(s + col) != null) xs.add(r.getAs(s + col));
                    v.add(xs.isEmpty() ? null : mean(xs));
                    v.add(xs.size() < 2 ? null : std(xs));
                }
            }
            out.add(RowFactory.create(v.toArray()));
        }
        return out;
    }

    /** n, rate, its Wilson CI, paired difference and its paired-t CI for one scorer (nulls where no verdict exists). */
    private static List<Object> stats(String scorer, List<Row> rows, List<Row> clean, long seed) {
        String col = VERDICT.get(scorer);
        Map<Integer, Boolean> cleanByPrompt = new LinkedHashMap<>();
        if (clean != null) for (Row r : clean) cleanByPrompt.put(r.getAs("prompt_index"), r.getAs(col));
        List<Boolean> x = new ArrayList<>(), y = new ArrayList<>();
        for (Row r : rows) {
            Boolean v = r.getAs(col), c = cleanByPrompt.get((Integer) r.getAs("prompt_index"));
            if (v == null || c == null) continue;
            x.add(v);
            y.add(c);
        }
        List<Object> out = new ArrayList<>();
        if (x.isEmpty()) {
            out.add(0);
            for (int i = 0; i < 6; i++) out.add(null);
            return out;
        }
        boolean[] a = new boolean[x.size()], b = new boolean[y.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = x.get(i);
            b[i] = y.get(i);
        }
        ConditionStats s = ConditionStats.of(scorer, a, b, seed);
        out.add(s.n());
        out.add(s.rate().estimate());
        out.add(s.rate().lower());
        out.add(s.rate().upper());
        out.add(s.vsClean() == null ? null : s.vsClean().meanDiff());
        out.add(s.vsClean() == null ? null : s.vsClean().pairedT().lower());
        out.add(s.vsClean() == null ? null : s.vsClean().pairedT().upper());
        return out;
    }

    private static List<Double> meanFOf(Row r, double[] mean) {
        List<Double> out = new ArrayList<>();
        List<Integer> features = r.getList(r.fieldIndex("features"));
        for (int f : features) out.add(mean[f]);
        return out;
    }

    /** By prompt index, so the paired arrays line up whatever order Spark read the files in. */
    private static List<Row> sorted(List<Row> rows) {
        List<Row> s = new ArrayList<>(rows);
        s.sort((p, q) -> Integer.compare(p.getAs("prompt_index"), q.getAs("prompt_index")));
        return s;
    }

    private static double mean(List<Double> xs) {
        double s = 0;
        for (double x : xs) s += x;
        return s / xs.size();
    }

    private static double std(List<Double> xs) {
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / (xs.size() - 1));
    }

    private static List<StructField> perScorer(Object... nameType) {
        List<StructField> out = new ArrayList<>();
        for (String s : SCORERS) for (int i = 0; i < nameType.length; i += 2) out.add(f(s + "_" + nameType[i], (DataType) nameType[i + 1]));
        return out;
    }

    @SafeVarargs
    private static List<StructField> concat(List<StructField>... parts) {
        List<StructField> out = new ArrayList<>();
        for (List<StructField> p : parts) out.addAll(p);
        return out;
    }

    private static StructField f(String name, DataType type) {
        return new StructField(name, type, true, Metadata.empty());
    }

    private static StructType schema(List<StructField> fields) {
        return new StructType(fields.toArray(new StructField[0]));
    }
}
