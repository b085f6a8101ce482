package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.eval.FeatureGroup;
import org.dfcspark.eval.FeatureRanking;
import org.dfcspark.eval.Steering;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Qwen2Model;

/**
 * Ranks every crosscoder's features as a Spark stage, one task per hook: the task reads the last-prompt-token residual
 * pairs (A, B) of the ranking's tool and generic prompts at its hook once (on its executor's device: a GPU on a GPU
 * cluster, where the driver has none), encodes them with each crosscoder at that hook as the protocol feeds it, and
 * scores Cohen's d and AUROC per partition ({@link FeatureRanking#score}); the driver collects the rankings (small:
 * D scores per partition). The prompts are rendered as the evaluation prompts are, so "last prompt token" is the token
 * the edits touch.
 */
public final class FeatureRankingStage {
    private static final int BATCH = 32;

    /** One crosscoder's ranking at one hook: per partition, and every feature's mean activation on the tool prompts. */
    public record Ranking(EvaluationTarget target, Map<FeatureGroup, List<FeatureRanking.Scored>> byPartition, double[] toolMean)
            implements Serializable {}

    private FeatureRankingStage() {}

    /** The rankings of {@code targets}, in their order. */
    public static List<Ranking> run(SparkSession spark, EvaluateOptions o, List<EvaluationTarget> targets, EncodedPrompts prompts) {
        Map<String, List<EvaluationTarget>> byHook = new LinkedHashMap<>();
        for (EvaluationTarget t : targets) byHook.computeIfAbsent(t.hook(), h -> new ArrayList<>()).add(t);
        List<List<EvaluationTarget>> groups = new ArrayList<>(byHook.values());
        int threads = ExecutorRuntime.threadsPerTask(spark.sparkContext().getConf(), groups.size());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("evaluate: rank features at " + groups.size() + " hook(s)");
        List<Ranking> ranked;
        try {
            ranked = jsc.parallelize(groups, groups.size()).flatMap(g -> rankAtOneHook(o, g, prompts, threads).iterator()).collect();
        } finally {
            jsc.setJobDescription(null);
        }
        Map<EvaluationTarget, Ranking> byTarget = new HashMap<>();
        for (Ranking r : ranked) byTarget.put(r.target(), r);
        List<Ranking> out = new ArrayList<>();
        for (EvaluationTarget t : targets) out.add(byTarget.get(t));
        return out;
    }

    /** Inside a task: the crosscoders of one hook, on one read of the ranking prompts' residuals there. */
    static List<Ranking> rankAtOneHook(EvaluateOptions o, List<EvaluationTarget> targets, EncodedPrompts prompts, int threads) throws IOException {
        Device device = ExecutorRuntime.device(TaskContext.get());
        Qwen2Model a = ModelCache.get(Path.of(o.modelA()), device), b = ModelCache.get(Path.of(o.modelB()), device);
        ExecutorRuntime.configure(device, threads);
        HookPoint hook = HookPoint.parse(targets.get(0).hook());
        ArrayActivations onToolPrompts = pairs(a, b, prompts.tool(), hook, prompts.padId(), "tool prompts");
        ArrayActivations onGenericPrompts = pairs(a, b, prompts.generic(), hook, prompts.padId(), "generic prompts");
        List<Ranking> out = new ArrayList<>();
        for (EvaluationTarget t : targets) {
            Crosscoder cc = CrosscoderCache.get(t.dir(), o.protocol());
            FeatureRanking.SparseValues onTool = FeatureRanking.values(cc, onToolPrompts, BATCH, threads);
            FeatureRanking.SparseValues onGeneric = FeatureRanking.values(cc, onGenericPrompts, BATCH, threads);
            Map<FeatureGroup, List<FeatureRanking.Scored>> ranked = new EnumMap<>(FeatureGroup.class);
            for (FeatureGroup g : FeatureGroup.values()) ranked.put(g, FeatureRanking.score(onTool, onGeneric, cc.partition(), g));
            double[] mean = new double[cc.dictSize()];
            for (int j = 0; j < mean.length; j++) mean[j] = onTool.mean(j);
            out.add(new Ranking(t, ranked, mean));
        }
        return out;
    }

    /** Rows of {@link EvaluationTables#FEATURES}: the three partitions of every ranking, rank 1 = largest d. */
    public static List<Row> rows(List<Ranking> rankings) {
        List<Row> rows = new ArrayList<>();
        for (Ranking r : rankings) {
            for (FeatureGroup g : List.of(FeatureGroup.A_EXCLUSIVE, FeatureGroup.B_EXCLUSIVE, FeatureGroup.SHARED)) {
                int rank = 0;
                for (FeatureRanking.Scored s : r.byPartition().get(g)) {
                    rows.add(RowFactory.create(r.target().crosscoder(), r.target().hook(), g.id(), s.feature(), s.cohensD(), s.auroc(),
                            s.meanPositive(), s.meanNegative(), ++rank));
                }
            }
        }
        return rows;
    }

    private static ArrayActivations pairs(Qwen2Model a, Qwen2Model b, List<int[]> ids, HookPoint hook, int pad, String name) {
        float[][] ra = Steering.lastPromptResiduals(a, ids, hook, pad, BATCH), rb = Steering.lastPromptResiduals(b, ids, hook, pad, BATCH);
        int d = ra.length == 0 ? 0 : ra[0].length;
        float[] data = new float[ids.size() * 2 * d];
        for (int r = 0; r < ids.size(); r++) {
            System.arraycopy(ra[r], 0, data, r * 2 * d, d);
            System.arraycopy(rb[r], 0, data, r * 2 * d + d, d);
        }
        return new ArrayActivations(data, ids.size(), d, name);
    }
}
