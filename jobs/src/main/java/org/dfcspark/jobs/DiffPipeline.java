package org.dfcspark.jobs;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderTrainer;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.LrSchedule;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.TrainingRun;
import org.dfcspark.eval.FeatureRanking;
import org.dfcspark.eval.Steering;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.harvest.StoreActivations;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.dfcspark.toolcall.StrictScorer;
import org.dfcspark.toolcall.stats.Interval;
import org.dfcspark.toolcall.stats.PairedDifference;
import org.dfcspark.toolcall.stats.RateStats;

/**
 * The project's main job end to end on one model pair (A = fine-tuned, B = base), in one process:
 * <ol>
 *   <li>harvest (Spark, {@link HarvestJob}) the residual after decoder layer L at the last prompt token of tool and
 *       generic training prompts (chat rendering), both models on the same tokens;</li>
 *   <li>train a DFC with tied decoder coupling on that store;</li>
 *   <li>split the mean A−B difference on tool prompts into its sources ({@link Diagnostics#meanDifference});</li>
 *   <li>rank A-exclusive features by Cohen's d, tool vs generic ({@link FeatureRanking});</li>
 *   <li>on held-out tool prompts, generate greedily with B clean, B steered by the top feature
 *       (β·mean_f·W_dec[i,A] in raw units, last prompt token, prefill), B with its residual replaced by the DFC
 *       reconstruction (spillover), and A clean for reference; score each with the strict scorer and compare to
 *       B clean on the same prompts.</li>
 * </ol>
 * Artifacts under the work directory: {@code prompts/} (Parquet prompts table), {@code acts/} (the store),
 * {@code dfc/} (checkpoint), {@code generations.jsonl}, {@code summary.json}.
 */
public final class DiffPipeline {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GENERATION_BATCH = 50;

    private DiffPipeline() {}

    /** Everything a run is made of; {@code train} = the crosscoder's training recipe (conf/train/organism.conf for the demo). */
    public record Settings(Path modelA, Path modelB, Path toolTrain, Path genericTrain, Path toolTest, int trainPerKind,
                           int testPrompts, int layer, TrainConfig train, List<Double> betas, int maxNewTokens, Path work) {
        long seed() {
            return train.seed();
        }
    }

    /**
     * One generation condition on the test prompts: per prompt the strict verdict and whether the output attempted a
     * tool call (read or not), the strict rate and its paired comparison with B clean.
     */
    public record Condition(String name, boolean[] strict, boolean[] called, Interval rate, PairedDifference vsClean) {
        public int correct() {
            return count(strict);
        }

        public int calls() {
            return count(called);
        }
    }

    private static int count(boolean[] v) {
        int c = 0;
        for (boolean b : v) if (b) c++;
        return c;
    }

    /** What a run found. */
    public record Report(Partition partition, double maxForbidden, double maxTieViolation, Diagnostics.Decomposition toolDifference,
                         List<FeatureRanking.Ranked> ranking, double topCosineWithDifference, double meanActivation,
                         List<Condition> conditions, double fvuA, double fvuB, Path work) {
        public FeatureRanking.Ranked top() {
            return ranking.get(0);
        }

        public Condition condition(String name) {
            return conditions.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
        }
    }

    public static Report run(SparkSession spark, Settings s, PrintStream out) throws Exception {
        requireEmptyWork(s.work());
        Files.createDirectories(s.work());
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

        // 1. prompts and harvest
        List<PromptRecord> tool = PromptsTable.readLocal(spark, s.toolTrain().toString(), s.trainPerKind());
        List<PromptRecord> generic = PromptsTable.readLocal(spark, s.genericTrain().toString(), s.trainPerKind());
        List<PromptRecord> test = PromptsTable.readLocal(spark, s.toolTest().toString(), s.testPrompts());
        Set<String> toolIds = new HashSet<>();
        tool.forEach(r -> toolIds.add(r.id()));
        for (PromptRecord r : generic) {
            if (toolIds.contains(r.id())) throw new IllegalArgumentException(s.genericTrain() + ": prompt id " + r.id() + " is also in " + s.toolTrain());
        }
        Path prompts = s.work().resolve("prompts");
        List<Row> rows = new ArrayList<>();
        Stream.concat(tool.stream(), generic.stream()).forEach(r -> rows.add(PromptsTable.toRow(r)));
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(prompts.toString());
        Path store = s.work().resolve("acts");
        out.printf("%n[1/5] harvest: A = %s, B = %s, %s at the last prompt token, %d tool + %d generic prompts (chat rendering)%n",
                s.modelA(), s.modelB(), HookPoint.residPost(s.layer()).name(), tool.size(), generic.size());
        long t = System.nanoTime();
        HarvestOptions ho = HarvestOptions.from(Args.parse(new String[] {"--model-a", s.modelA().toString(), "--model-b", s.modelB().toString(),
                "--prompts", prompts.toString(), "--layers", Integer.toString(s.layer()), "--positions", "last", "--rendering", "chat",
                "--dtype", "f32", "--out", store.toString(), "--batch-size", "32", "--shard-size", "256"},
                HarvestOptions.valuedFlags(), HarvestOptions.switchFlags()));
        HarvestJob.run(spark, ho, line -> out.println("  " + line));
        StoreActivations acts = StoreActivations.load(store.toString(), s.layer());
        ArrayActivations toolActs = acts.select(toolIds::contains, "tool prompts");
        ArrayActivations genericActs = acts.select(id -> !toolIds.contains(id), "generic prompts");
        out.printf("  %d rows of 2 x %d (%d tool, %d generic) [%.1f s]%n", acts.rows(), acts.dim(), toolActs.rows(), genericActs.rows(), secs(t));

        // 2. DFC, tied coupling
        t = System.nanoTime();
        TrainConfig tc = s.train();
        Normalization.Scheme scheme = tc.normalizationScheme();
        CrosscoderConfig cfg = tc.crosscoderConfig(acts.dim(), scheme == null ? null
                : Normalization.fit(acts, scheme, tc.coupling() == Coupling.TIED, Double.NaN));
        Partition p = cfg.partition();
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, tc.init(), tc.seed()); // the organism recipe says paper, not transpose: see DESIGN.md (its exclusive features never fire)
        out.printf("%n[2/5] DFC: d=%d, D=%d (%d A-exclusive | %d B-exclusive | %d shared), %s k=%d, %s decoders, %d steps x %d rows%n",
                acts.dim(), tc.dictSize(), p.nA(), p.nB(), p.nShared(), tc.sparsity().id(), tc.k(), tc.coupling().id(), tc.steps(), tc.batch());
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("data", store.toString());
        prov.put("layer", s.layer());
        prov.put("train_config", tc.toMap());
        TrainingRun.Result tr = TrainingRun.run(cc, acts, new TrainingRun.Options(tc.steps(), tc.batch(), true, tc.seed(),
                Math.max(1, tc.steps() / 4), 0, 10, s.work().resolve("dfc"), null, indent(out), threads, tc.trainerOptions(), prov));
        var last = JSON.readTree(tr.metrics().get(tr.metrics().size() - 1));
        double maxForbidden = cc.verifyPartition(), maxTie = cc.maxTieViolation();
        out.printf("  exclusivity: max |forbidden weight| = %.1g, max tie violation = %.1g; FVU A %.4f, B %.4f [%.1f s]%n",
                maxForbidden, maxTie, last.get("fvu_a").asDouble(), last.get("fvu_b").asDouble(), secs(t));

        // 3. where the A−B difference goes
        Diagnostics.Decomposition dec = Diagnostics.meanDifference(cc, toolActs, 512, threads);
        out.printf("%n[3/5] the mean A-B difference on tool prompts, split by the DFC:%n");
        dec.report().lines().forEach(l -> out.println("  " + l));

        // 4. ranking
        FeatureRanking.GroupStats onTool = FeatureRanking.stats(cc, toolActs, 512, threads);
        FeatureRanking.GroupStats onGeneric = FeatureRanking.stats(cc, genericActs, 512, threads);
        List<FeatureRanking.Ranked> ranking = FeatureRanking.rank(onTool, onGeneric, 0, p.nA());
        int alive = 0;
        for (int j = 0; j < p.nA(); j++) if (onTool.active()[j] + onGeneric.active()[j] > 0) alive++;
        FeatureRanking.Ranked top = ranking.get(0);
        float[] dirA = Steering.featureDirection(cc, top.feature(), 0);
        double cos = cosine(dirA, dec.parts().get("data"));
        out.printf("%n[4/5] A-exclusive features by Cohen's d, tool vs generic prompts (%d of %d fired):%n", alive, p.nA());
        out.printf("  %7s %9s %10s %10s %9s %9s%n", "feature", "d", "mean tool", "mean gen.", "on tool", "on gen.");
        for (FeatureRanking.Ranked r : ranking.subList(0, Math.min(5, ranking.size()))) {
            out.printf(Locale.ROOT, "  %7d %9.2f %10.3f %10.3f %8.1f%% %8.1f%%%n", r.feature(), r.cohensD(), r.meanPositive(), r.meanNegative(),
                    100 * r.activePositive(), 100 * r.activeNegative());
        }
        out.printf(Locale.ROOT, "  top feature %d: cosine(raw A decoder direction, mean A-B difference) = %.2f%n", top.feature(), cos);

        // 5. steering and spillover on held-out tool prompts
        t = System.nanoTime();
        HookPoint hook = HookPoint.residPost(s.layer());
        Qwen2Model a = ModelCache.get(s.modelA(), Device.cpu()), b = ModelCache.get(s.modelB(), Device.cpu());
        List<int[]> ids = new ArrayList<>();
        int padId;
        try (Tokenizer tok = Tokenizer.load(s.modelB())) {
            Rendering chat = Rendering.of(Rendering.Mode.CHAT, ChatTemplate.load(s.modelB()));
            for (PromptRecord r : test) ids.add(tok.encode(chat.render(r)));
            padId = tok.padTokenId() != null ? tok.padTokenId() : 0;
            GenerationConfig greedy = GenerationConfig.forModel(s.modelB(), s.maxNewTokens());
            double meanF = top.meanPositive();
            out.printf(Locale.ROOT, "%n[5/5] %d held-out tool prompts, greedy, up to %d new tokens; edits at %s, last prompt token, prefill only%n",
                    test.size(), s.maxNewTokens(), hook.name());
            out.printf(Locale.ROOT, "  steering vector = beta x mean_f x W_dec[%d, A] / s_A, mean_f = %.3f (mean on tool prompts), |W_dec/s| = %.3f%n",
                    top.feature(), meanF, norm(dirA));
            float[][] residA = Steering.lastPromptResiduals(a, ids, hook, padId, GENERATION_BATCH);
            float[][] residB = Steering.lastPromptResiduals(b, ids, hook, padId, GENERATION_BATCH);
            float[][] reconB = Steering.reconstruct(cc, residA, residB, 1, threads);

            Map<String, List<String>> texts = new LinkedHashMap<>();
            Map<String, boolean[]> verdicts = new LinkedHashMap<>(), called = new LinkedHashMap<>();
            evaluate("B clean", b, ids, greedy, rowsFrom -> List.of(), tok, test, texts, verdicts, called);
            for (double beta : s.betas()) {
                Intervention steer = Steering.addAtLastPrompt(hook, dirA, beta * meanF);
                evaluate("B steered beta=" + number(beta), b, ids, greedy, rowsFrom -> List.of(steer), tok, test, texts, verdicts, called);
            }
            evaluate("B reconstructed", b, ids, greedy,
                    range -> List.of(Steering.replaceAtLastPrompt(hook, java.util.Arrays.copyOfRange(reconB, range[0], range[1]))), tok, test, texts, verdicts, called);
            evaluate("A clean", a, ids, greedy, rowsFrom -> List.of(), tok, test, texts, verdicts, called);

            List<Condition> conditions = new ArrayList<>();
            boolean[] clean = verdicts.get("B clean");
            for (var e : verdicts.entrySet()) {
                boolean[] v = e.getValue();
                conditions.add(new Condition(e.getKey(), v, called.get(e.getKey()), RateStats.wilson(count(v), v.length),
                        v.length >= 2 ? PairedDifference.of(v, clean, PairedDifference.DEFAULT_RESAMPLES, s.seed()) : null));
            }
            out.printf("  %-20s %6s %16s %14s %24s%n", "condition", "calls", "strict", "95% Wilson CI", "strict vs B clean (paired-t)");
            for (Condition c : conditions) {
                out.printf(Locale.ROOT, "  %-20s %5.0f%% %5d/%-4d %5.1f%% %14s %24s%n", c.name(), 100.0 * c.calls() / c.called().length, c.correct(),
                        c.strict().length, 100 * c.rate().estimate(),
                        String.format(Locale.ROOT, "[%.1f, %.1f]", 100 * c.rate().lower(), 100 * c.rate().upper()),
                        c.name().equals("B clean") || c.vsClean() == null ? "" : String.format(Locale.ROOT, "%+.1f pp [%+.1f, %+.1f]",
                                100 * c.vsClean().meanDiff(), 100 * c.vsClean().pairedT().lower(), 100 * c.vsClean().pairedT().upper()));
            }
            out.printf("  [%.1f s]%n", secs(t));
            writeGenerations(s.work().resolve("generations.jsonl"), test, texts, verdicts);
            Report report = new Report(p, maxForbidden, maxTie, dec, ranking, cos, meanF, conditions, last.get("fvu_a").asDouble(),
                    last.get("fvu_b").asDouble(), s.work());
            writeSummary(s.work().resolve("summary.json"), s, report);
            return report;
        }
    }

    /** Generates for every prompt in batches (edits built per batch from its row range) and scores strictly. */
    private static void evaluate(String name, Qwen2Model model, List<int[]> ids, GenerationConfig cfg,
                                 java.util.function.Function<int[], List<Intervention>> edits, Tokenizer tok, List<PromptRecord> test,
                                 Map<String, List<String>> texts, Map<String, boolean[]> verdicts, Map<String, boolean[]> called) {
        List<String> out = new ArrayList<>();
        boolean[] strict = new boolean[ids.size()], call = new boolean[ids.size()];
        for (int from = 0; from < ids.size(); from += GENERATION_BATCH) {
            int to = Math.min(ids.size(), from + GENERATION_BATCH);
            GenerationResult r = Generator.generate(model, ids.subList(from, to), cfg, edits.apply(new int[] {from, to}));
            for (int i = from; i < to; i++) {
                String text = tok.decode(r.generated(i - from), true);
                PromptRecord rec = test.get(i);
                var verdict = StrictScorer.score(text, rec.gold(), rec.goldKind(), rec.tools());
                strict[i] = verdict.correct();
                call[i] = verdict.calls() + verdict.parseFailures() > 0;
                out.add(text);
            }
        }
        texts.put(name, out);
        verdicts.put(name, strict);
        called.put(name, call);
    }

    private static void writeGenerations(Path file, List<PromptRecord> test, Map<String, List<String>> texts, Map<String, boolean[]> verdicts)
            throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String cond : texts.keySet()) {
                for (int i = 0; i < test.size(); i++) {
                    ObjectNode n = JSON.createObjectNode();
                    n.put("condition", cond);
                    n.put("prompt_id", test.get(i).id());
                    n.put("output", texts.get(cond).get(i));
                    n.put("strict", verdicts.get(cond)[i]);
                    w.write(JSON.writeValueAsString(n));
                    w.write('\n');
                }
            }
        }
    }

    private static void writeSummary(Path file, Settings s, Report r) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("model_a", s.modelA().toString());
        n.put("model_b", s.modelB().toString());
        n.put("hook", HookPoint.residPost(s.layer()).name());
        n.put("train_prompts_per_kind", s.trainPerKind());
        n.put("test_prompts", s.testPrompts());
        ObjectNode dfc = n.putObject("dfc");
        dfc.put("dict_size", s.train().dictSize());
        dfc.put("k", s.train().k());
        dfc.put("n_a", r.partition().nA());
        dfc.put("n_b", r.partition().nB());
        dfc.put("coupling", "tied");
        dfc.put("steps", s.train().steps());
        dfc.put("fvu_a", r.fvuA());
        dfc.put("fvu_b", r.fvuB());
        dfc.put("max_forbidden", r.maxForbidden());
        dfc.put("max_tie_violation", r.maxTieViolation());
        ObjectNode diff = n.putObject("tool_mean_difference");
        diff.put("norm", r.toolDifference().dataNorm());
        for (String part : List.of("normalization", "decoder bias", "shared", "A-exclusive", "B-exclusive", "error")) {
            diff.put(part + " carried", r.toolDifference().carried(part));
        }
        ArrayNode rank = n.putArray("a_exclusive_ranking");
        for (FeatureRanking.Ranked f : r.ranking()) {
            rank.addObject().put("feature", f.feature()).put("cohens_d", f.cohensD()).put("mean_tool", f.meanPositive())
                    .put("mean_generic", f.meanNegative()).put("active_tool", f.activePositive()).put("active_generic", f.activeNegative());
        }
        n.put("top_cosine_with_difference", r.topCosineWithDifference());
        n.put("mean_activation", r.meanActivation());
        ArrayNode conds = n.putArray("conditions");
        for (Condition c : r.conditions()) {
            ObjectNode o = conds.addObject().put("name", c.name()).put("calls", c.calls()).put("correct", c.correct()).put("n", c.strict().length)
                    .put("rate", c.rate().estimate()).put("lower", c.rate().lower()).put("upper", c.rate().upper());
            if (c.vsClean() != null) {
                o.put("diff_vs_b_clean", c.vsClean().meanDiff()).put("diff_lower", c.vsClean().pairedT().lower())
                        .put("diff_upper", c.vsClean().pairedT().upper());
            }
        }
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    /** A work directory must be new or empty (a run never mixes its artifacts with another's). */
    public static void requireEmptyWork(Path work) throws IOException {
        if (!Files.exists(work)) return;
        if (!Files.isDirectory(work)) throw new IllegalArgumentException(work + " is not a directory");
        try (var l = Files.list(work)) {
            if (l.findAny().isPresent()) throw new IllegalArgumentException(work + " is not empty; give a new or empty --work directory");
        }
    }

    private static PrintStream indent(PrintStream out) {
        return new PrintStream(new java.io.OutputStream() {
            private boolean lineStart = true;

            @Override
            public void write(int c) {
                if (lineStart) out.print("  ");
                out.write(c);
                lineStart = c == '\n';
            }
        }, true);
    }

    private static double cosine(float[] a, double[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    /** 4.0 -> "4", 0.5 -> "0.5". */
    private static String number(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
