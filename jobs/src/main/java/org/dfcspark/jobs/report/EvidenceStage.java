package org.dfcspark.jobs.report;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.dfc.Partition;
import org.dfcspark.eval.Steering;
import org.dfcspark.eval.TopContexts;
import org.dfcspark.jobs.evaluate.CrosscoderCache;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.evaluate.EvaluationTarget;
import org.dfcspark.jobs.evaluate.PromptEncoder;
import org.dfcspark.jobs.evaluate.Protocol;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.dfcspark.text.Tokenizer;

/**
 * Computes each target's {@link TargetEvidence} as the evaluation's ranking saw the prompts: the ranking prompts
 * rendered by the evaluation's protocol, the crosscoder fed as that protocol feeds it ({@link CrosscoderCache}).
 * Histograms use every ranking prompt's last token (the ranking's own input); top contexts scan every token of the
 * first {@code contextPrompts} tool and generic prompts (one forward per prompt and model). The forwards run in a
 * Spark stage of one task per hook, on the executors' devices (a GPU cluster's driver has none, and the paper's ranking
 * prompts through two 3B models are hours of CPU); the tasks return the activations of the features shown, the top
 * contexts and the A−B decomposition, and the driver adds what it reads from the tables.
 */
final class EvidenceStage {
    static final int CONTEXTS_PER_FEATURE = 8, CONTEXT_RADIUS = 6, BATCH = 32;

    /** What a task computes for one target: per shown feature its activations and top contexts; the decomposition. */
    record Computed(EvaluationTarget target, Map<Integer, double[]> onTool, Map<Integer, double[]> onGeneric,
                    Map<Integer, List<TargetEvidence.Context>> contexts, Diagnostics.Decomposition meanDiff) implements Serializable {}

    /** A target and the features the report shows for it. */
    record Shown(EvaluationTarget target, int[] features) implements Serializable {}

    private final SparkSession spark;
    private final int contextPrompts;

    EvidenceStage(SparkSession spark, int contextPrompts) {
        this.spark = spark;
        this.contextPrompts = contextPrompts;
    }

    List<TargetEvidence> run(Evaluation e) throws IOException {
        EvaluateOptions o = e.options();
        List<PromptRecord> tool = PromptsTable.readLocal(spark, o.rankingTool(), o.rankingLimit());
        List<PromptRecord> generic = PromptsTable.readLocal(spark, o.rankingGeneric(), o.rankingLimit());
        Map<EvaluationTarget, List<ShownFeature>> shown = new LinkedHashMap<>();
        Map<String, List<Shown>> byHook = new LinkedHashMap<>();
        for (EvaluationTarget t : e.targets()) {
            List<ShownFeature> features = ShownFeature.of(e, t);
            shown.put(t, features);
            byHook.computeIfAbsent(t.hook(), h -> new ArrayList<>())
                    .add(new Shown(t, features.stream().mapToInt(ShownFeature::feature).distinct().toArray()));
        }
        List<List<Shown>> groups = new ArrayList<>(byHook.values());
        int contexts = contextPrompts, taskThreads = ExecutorRuntime.threadsPerTask(spark.sparkContext().getConf(), groups.size());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("report: feature evidence at " + groups.size() + " hook(s)");
        Map<EvaluationTarget, Computed> computed = new HashMap<>();
        try {
            for (Computed c : jsc.parallelize(groups, Math.max(1, groups.size()))
                    .flatMap(g -> computeAtOneHook(o, g, tool, generic, contexts, taskThreads).iterator()).collect()) {
                computed.put(c.target(), c);
            }
        } finally {
            jsc.setJobDescription(null);
        }
        List<TargetEvidence> out = new ArrayList<>();
        for (EvaluationTarget t : e.targets()) {
            Computed c = computed.get(t);
            out.add(new TargetEvidence(e, t, CrosscoderCache.get(t.dir(), o.protocol()).config(), shown.get(t), c.onTool(), c.onGeneric(),
                    c.contexts(), DecoderGeometry.latents(CrosscoderCache.get(t.dir(), Protocol.FIXED)), c.meanDiff()));
        }
        return out;
    }

    /** Inside a task: the targets of one hook, on one read of the ranking prompts' last-token residuals there. */
    static List<Computed> computeAtOneHook(EvaluateOptions o, List<Shown> targets, List<PromptRecord> tool, List<PromptRecord> generic,
                                           int contextPrompts, int threads) throws IOException {
        Device device = ExecutorRuntime.device(TaskContext.get());
        Qwen2Model a = ModelCache.get(Path.of(o.modelA()), device), b = ModelCache.get(Path.of(o.modelB()), device);
        ExecutorRuntime.configure(device, threads);
        List<int[]> toolIds = new ArrayList<>(), genericIds = new ArrayList<>();
        int pad;
        try (PromptEncoder enc = new PromptEncoder(Path.of(o.modelB()), o.protocol())) {
            for (PromptRecord r : tool) toolIds.add(enc.encode(r));
            for (PromptRecord r : generic) genericIds.add(enc.encode(r));
            pad = enc.padTokenId();
        }
        HookPoint hook = HookPoint.parse(targets.get(0).target().hook());
        float[][][] last = {Steering.lastPromptResiduals(a, toolIds, hook, pad, BATCH), Steering.lastPromptResiduals(b, toolIds, hook, pad, BATCH),
                Steering.lastPromptResiduals(a, genericIds, hook, pad, BATCH), Steering.lastPromptResiduals(b, genericIds, hook, pad, BATCH)};
        List<Computed> out = new ArrayList<>();
        try (Tokenizer tok = Tokenizer.load(Path.of(o.modelB()))) {
            for (Shown s : targets) {
                Crosscoder cc = CrosscoderCache.get(s.target().dir(), o.protocol());
                int[] feats = s.features();
                Map<Integer, double[]> onTool = byFeature(TopContexts.activations(cc, last[0], last[1], feats, threads), feats);
                Map<Integer, double[]> onGeneric = byFeature(TopContexts.activations(cc, last[2], last[3], feats, threads), feats);
                Map<Integer, List<TargetEvidence.Context>> contexts = contexts(cc, a, b, hook, feats, tool, toolIds, generic, genericIds, tok,
                        contextPrompts, threads);
                Diagnostics.Decomposition diff = Diagnostics.meanDifference(cc, pairs(concat(last[0], last[2]), concat(last[1], last[3])), BATCH, threads);
                out.add(new Computed(s.target(), onTool, onGeneric, contexts, diff));
            }
        }
        return out;
    }

    /** Every token of the first prompts of each set, encoded; the k highest windows per feature. */
    private static Map<Integer, List<TargetEvidence.Context>> contexts(Crosscoder cc, Qwen2Model a, Qwen2Model b, HookPoint hook, int[] feats,
                                                                       List<PromptRecord> tool, List<int[]> toolIds, List<PromptRecord> generic,
                                                                       List<int[]> genericIds, Tokenizer tok, int contextPrompts, int threads) {
        Map<Integer, List<TargetEvidence.Context>> out = new LinkedHashMap<>();
        if (feats.length == 0) return out;
        TopContexts top = new TopContexts(feats, CONTEXTS_PER_FEATURE, CONTEXT_RADIUS);
        List<String> ids = new ArrayList<>(), sets = new ArrayList<>();
        int nTool = Math.min(contextPrompts, toolIds.size()), nGeneric = Math.min(contextPrompts, genericIds.size());
        for (int i = 0; i < nTool + nGeneric; i++) {
            boolean isTool = i < nTool;
            int[] tokens = isTool ? toolIds.get(i) : genericIds.get(i - nTool);
            ids.add(isTool ? tool.get(i).id() : generic.get(i - nTool).id());
            sets.add(isTool ? "tool" : "generic");
            top.add(i, tokens, TopContexts.activations(cc, allPositions(a, tokens, hook), allPositions(b, tokens, hook), feats, threads));
        }
        for (int f : feats) {
            List<TargetEvidence.Context> list = new ArrayList<>();
            for (TopContexts.Context c : top.top(f)) {
                List<String> words = new ArrayList<>();
                for (int id : c.windowTokens()) words.add(tok.decode(new int[] {id}, false));
                double[] acts = new double[c.windowActivations().length];
                for (int i = 0; i < acts.length; i++) acts[i] = c.windowActivations()[i];
                int p = (int) c.promptId();
                list.add(new TargetEvidence.Context(ids.get(p), sets.get(p), c.position(), c.activation(), words, acts, c.position() - c.windowStart()));
            }
            out.put(f, list);
        }
        return out;
    }

    /** The residual at {@code hook} at every position of one prompt, {@code [position][channel]}. */
    private static float[][] allPositions(Qwen2Model model, int[] tokens, HookPoint hook) {
        NDManager root = model.parameters().values().iterator().next().getManager();
        try (NDManager scope = root.newSubManager()) {
            NDArray h = model.forward(scope, TokenBatch.leftPadded(List.of(tokens), 0), List.of(Intervention.capture(hook, Positions.all())),
                    Qwen2Model.Logits.NONE).captured(hook);
            int d = (int) h.getShape().get(2);
            float[] flat = h.get(0).toFloatArray();
            float[][] out = new float[tokens.length][d];
            for (int p = 0; p < tokens.length; p++) System.arraycopy(flat, p * d, out[p], 0, d);
            return out;
        }
    }

    private static Map<Integer, double[]> byFeature(float[][] acts, int[] feats) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int i = 0; i < feats.length; i++) {
            double[] v = new double[acts.length];
            for (int r = 0; r < acts.length; r++) v[r] = acts[r][i];
            out.put(feats[i], v);
        }
        return out;
    }

    private static float[][] concat(float[][] x, float[][] y) {
        float[][] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private static ArrayActivations pairs(float[][] a, float[][] b) {
        int d = a[0].length;
        float[] data = new float[a.length * 2 * d];
        for (int r = 0; r < a.length; r++) {
            System.arraycopy(a[r], 0, data, r * 2 * d, d);
            System.arraycopy(b[r], 0, data, r * 2 * d + d, d);
        }
        return new ArrayActivations(data, a.length, d, "ranking prompts (last token)");
    }

    static String partitionOf(Partition p, int j) {
        return switch (p.kind(j)) {
            case A_EXCLUSIVE -> "a_exclusive";
            case B_EXCLUSIVE -> "b_exclusive";
            case SHARED -> "shared";
        };
    }
}
