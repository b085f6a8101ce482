package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.eval.Condition;
import org.dfcspark.eval.ConditionEdits;
import org.dfcspark.eval.PairEdit;
import org.dfcspark.eval.Steering;
import org.dfcspark.jobs.PythonReference;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.PrefixCache;
import org.dfcspark.model.Qwen2Model;

/**
 * {@code bin/dfc bench evaluate}: the evaluation of one steering grid by {@link EvaluateJob} (generations per second,
 * over the wall time of the whole job: ranking, items, tables; and over its work items alone, the generation stage
 * the references also time), after a small untimed run of the same job (Spark's one-time class loading and code
 * generation and the JIT's warm-up, as Python's imports and model loading are outside the references' timings), then, with a Python that has torch and transformers, the same
 * generations by HF transformers in the paper's loop and in a batched loop ({@code tools/reference/bench_evaluate_hf.py})
 * on the same prompt ids and the same residual edits: each condition's edit at the last prompt token is computed here
 * ({@link ConditionEdits}, from each model's residual at the hook) and handed to the script as a vector. Prints both
 * rates, the ratios, and how many generations are token-identical to ours.
 */
public final class EvaluateBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What was measured; the HF fields are NaN / -1 without a Python. The references generate {@code compared} of our
     * {@code generations} (all of them, or those of an evenly spaced sample of the prompts).
     */
    public record Result(long generations, double oursSeconds, double oursItemsSeconds, double hfLoopSeconds, double hfBatchSeconds,
                         int identicalLoop, int identicalBatch, int compared) {
        public double oursPerSecond() {
            return generations / oursSeconds;
        }

        public double oursItemsPerSecond() {
            return generations / oursItemsSeconds;
        }

        public double hfLoopPerSecond() {
            return compared / hfLoopSeconds;
        }

        public double hfBatchPerSecond() {
            return compared / hfBatchSeconds;
        }
    }

    private EvaluateBench() {}

    /**
     * @param warmUp the same evaluation on a few prompts, run first and not timed
     * @param referencePrompts how many of the prompts the references generate for (evenly spaced; all when it is
     *                         {@code o.limit()}): their cost is per generation, with nothing to amortise, so a sample
     *                         gives their rate, which is what is compared
     */
    public static Result run(SparkSession spark, EvaluateOptions o, EvaluateOptions warmUp, Path work, String python, int threads,
                             int referencePrompts, PrintStream log) throws Exception {
        Path out = work.resolve("ours"), warm = work.resolve("warm-up");
        for (Path p : List.of(out, warm)) if (Files.exists(p)) org.dfcspark.io.AtomicOutput.deleteTree(p);
        log.printf(Locale.ROOT, "bench evaluate: warm-up on %d prompts (not timed)%n", warmUp.limit());
        EvaluateJob.run(spark, warmUp, warm, new PrintStream(PrintStream.nullOutputStream()));
        PrefixCache.shared().clear(); // the timed run computes its prompts' prefixes as the references do (local mode: one JVM)
        long t0 = System.nanoTime();
        EvaluateJob.Outcome ours = EvaluateJob.run(spark, o, out, log);
        double oursSeconds = (System.nanoTime() - t0) / 1e9;
        log.printf(Locale.ROOT, "bench evaluate: dfc %d generations in %.1f s = %.2f generations/s (the whole job: ranking, items, tables)%n",
                ours.generations(), oursSeconds, ours.generations() / oursSeconds);
        if (python == null) return new Result(ours.generations(), oursSeconds, ours.itemsSeconds(), Double.NaN, Double.NaN, -1, -1, 0);

        // The reference's input: every generation's prompt ids (as dfc fed them) and its edit as a vector.
        List<Row> rows = spark.read().parquet(out.resolve("generations").toString()).collectAsList();
        FeatureRankingStage.Ranking ranking = rankings(spark, o).get(0);
        Map<String, PlannedCondition> byKey = new HashMap<>();
        for (PlannedCondition pc : ConditionPlan.expand(o.experiments(), ranking.byPartition(), o.seed(), line -> {})) byKey.put(pc.condition().key(), pc);
        EvaluationTarget target = Preflight.targets(o).get(0);
        HookPoint hook = HookPoint.parse(target.hook());
        Qwen2Model a = ModelCache.get(Path.of(o.modelA()), Device.cpu()), b = ModelCache.get(Path.of(o.modelB()), Device.cpu());
        ConditionEdits edits = new ConditionEdits(CrosscoderCache.get(target.dir(), o.protocol()),
                a.config().hiddenSize(), ranking.toolMean(), threads);
        Map<Integer, float[][]> residuals = new HashMap<>(); // prompt index -> {A, B} at the last prompt token
        ObjectNode spec = JSON.createObjectNode().put("model_a", o.modelA()).put("model_b", o.modelB()).put("layer", hook.layer())
                .put("max_new_tokens", o.maxNewTokens()).put("threads", threads);
        ArrayNode items = spec.putArray("items");
        List<List<Integer>> ourIds = new ArrayList<>();
        rows.sort(java.util.Comparator.comparing((Row r) -> r.<Integer>getAs("prompt_index")).thenComparing(r -> r.<String>getAs("condition_key")));
        java.util.Set<Integer> sample = evenlySpaced(o.limit(), referencePrompts);
        long sampleTokens = 0, allTokens = 0;
        for (Row r : rows) {
            int p = r.getAs("prompt_index");
            int length = r.getList(r.fieldIndex("prompt_ids")).size();
            allTokens += length;
            if (!sample.contains(p)) continue;
            sampleTokens += length;
            List<Integer> ids = r.getList(r.fieldIndex("prompt_ids"));
            int[] prompt = ids.stream().mapToInt(Integer::intValue).toArray();
            float[][] res = residuals.computeIfAbsent(p, k -> new float[][] {
                    Steering.lastPromptResiduals(a, List.of(prompt), hook, 0, 1)[0], Steering.lastPromptResiduals(b, List.of(prompt), hook, 0, 1)[0]});
            PlannedCondition pc = byKey.get(r.<String>getAs("condition_key"));
            Condition c = pc.condition();
            ObjectNode item = items.addObject().put("prompt", p).put("model", c.model().name()).put("key", c.key());
            ArrayNode idArray = item.putArray("ids");
            for (int id : prompt) idArray.add(id);
            PairEdit edit = edits.edit(c);
            if (edit == null) {
                item.putNull("delta");
            } else {
                float[] own = res[c.model().index()], partner = res[c.model().other().index()];
                float[] edited = edit.apply(new float[][] {own}, new float[][] {partner})[0];
                ArrayNode delta = item.putArray("delta");
                for (int i = 0; i < own.length; i++) delta.add((double) edited[i] - own[i]);
            }
            ourIds.add(r.getList(r.fieldIndex("generated_ids")));
        }
        Path input = work.resolve("bench-evaluate-input.json");
        Files.writeString(input, JSON.writeValueAsString(spec));
        log.printf(Locale.ROOT, "bench evaluate: HF transformers on %d of the %d generations (%d of %d prompts, evenly spaced; mean prompt"
                + " length %.1f tokens, all prompts %.1f) with %s ...%n", items.size(), rows.size(), sample.size(), o.limit(),
                (double) sampleTokens / items.size(), (double) allTokens / rows.size(), python);
        JsonNode hf = PythonReference.run(python, "bench_evaluate_hf.py", List.of("--input", input.toString()), PythonReference.Allocator.OURS, 120).get(0);
        int sameLoop = identical(ourIds, hf.get("loop_ids")), sameBatch = identical(ourIds, hf.get("batch_ids"));
        return new Result(ours.generations(), oursSeconds, ours.itemsSeconds(), hf.get("loop_seconds").asDouble(), hf.get("batch_seconds").asDouble(),
                sameLoop, sameBatch, ourIds.size());
    }

    /** The ranking EvaluateJob made: the same code on the same inputs (so the same conditions, by key). */
    private static List<FeatureRankingStage.Ranking> rankings(SparkSession spark, EvaluateOptions o) throws IOException {
        List<PromptRecord> tool = PromptsTable.readLocal(spark, o.rankingTool(), o.rankingLimit());
        List<PromptRecord> generic = PromptsTable.readLocal(spark, o.rankingGeneric(), o.rankingLimit());
        return FeatureRankingStage.run(spark, o, Preflight.targets(o), Preflight.encode(o, List.of(), tool, generic, System.out));
    }

    /** {@code n} prompt indices spread evenly over {@code 0 .. count-1} (all of them when n >= count). */
    static java.util.Set<Integer> evenlySpaced(int count, int n) {
        java.util.Set<Integer> picked = new java.util.TreeSet<>();
        int m = Math.min(n, count);
        for (int j = 0; j < m; j++) picked.add((int) ((long) j * count / m));
        return picked;
    }

    private static int identical(List<List<Integer>> ours, JsonNode theirs) {
        int same = 0;
        for (int i = 0; i < ours.size(); i++) {
            List<Integer> t = new ArrayList<>();
            theirs.get(i).forEach(n -> t.add(n.asInt()));
            if (t.equals(ours.get(i))) same++;
        }
        return same;
    }
}
