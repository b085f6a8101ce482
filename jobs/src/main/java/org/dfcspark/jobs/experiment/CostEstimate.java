package org.dfcspark.jobs.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.CrosscoderBenchmark;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.evaluate.EncodedPrompts;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.evaluate.Experiment;
import org.dfcspark.jobs.evaluate.Preflight;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.work.ProgressReporter;
import org.dfcspark.jobs.sweep.SweepJob;
import org.dfcspark.model.Qwen2Config;

/**
 * The dry run's cost lines. The sweep's come from the sweep's own dry run when the store exists, else from the same
 * FLOP count per variant. Harvest and evaluation are counted as dense transformer FLOPs (2 · parameters per token and
 * model, up to the deepest hooked layer for the harvest); the harvest with every prompt at its {@code max-length}, the
 * evaluation with its prompts as the protocol renders them (the paper's raw prompts are several times the chat
 * template's), eager attention's t² scores, the feature ranking, and every generation running {@code max_new_tokens}:
 * upper bounds. Time on this master is those FLOPs at this JVM's
 * measured dense matmul rate times the task slots (a lower bound: forwards and training steps reach a fraction of it);
 * GPU-hours assume {@value #GPU_TFLOPS} TFLOP/s sustained per GPU (an assumption, not a measurement).
 */
final class CostEstimate {
    static final double GPU_TFLOPS = 40;

    private final ExperimentConfig cfg;
    private final Path out;
    private final Supplier<SparkSession> sparks;
    private final PrintStream log;
    private Qwen2Config model;
    private boolean modelRead;
    private double gflopsPerSlot = -1;
    private double totalFlops;
    private boolean unknown;

    CostEstimate(ExperimentConfig cfg, Path out, Supplier<SparkSession> sparks, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.sparks = sparks;
        this.log = log;
    }

    void harvest() {
        HarvestOptions o = cfg.harvestOptions(out);
        long prompts = prompts(cfg.toolPrompts(), cfg.trainingLimit()) + prompts(cfg.genericPrompts(), cfg.trainingLimit());
        Qwen2Config m = model();
        if (m == null || prompts < 0) {
            log.println("  cost: unknown (" + (m == null ? "model config " + cfg.modelA() + " not readable" : "a training prompts table is not readable") + ")");
            unknown = true;
            return;
        }
        int deepest = cfg.layers().get(cfg.layers().size() - 1);
        double tokens = (double) prompts * o.maxLength();
        double flops = 2 * tokens * layerFlopsPerToken(m) * (deepest + 1);
        double rows = o.positions().id().equals("last") ? prompts : tokens;
        double bytes = rows * cfg.layers().size() * 2 * m.hiddenSize() * o.dtype().bytesPerValue() * (o.shuffle() ? 2 : 1);
        log.printf(Locale.ROOT, "  cost: %d prompts x 2 models up to layer %d: <= %s, writes <= %.1f MB (%s rows per layer%s); %s%n", prompts, deepest,
                flops(flops), bytes / 1e6, o.positions().id().equals("last") ? String.valueOf((long) rows) : "<= " + (long) rows,
                o.shuffle() ? ", plus the shuffled copy" : "", time(flops));
        totalFlops += flops;
    }

    void sweep(boolean storeReady) throws Exception {
        SweepGrid grid = cfg.grid(out);
        Qwen2Config m = model();
        if (storeReady) {
            SweepJob.run(sparks.get(), grid, Stage.SWEEP.dir(out), Set.of(), true, 10, log);
        } else {
            log.println("  (the store does not exist yet: the sweep's own dry run needs it; counted per variant instead)");
        }
        if (m == null) {
            log.println("  cost: unknown (model config " + cfg.modelA() + " not readable)");
            unknown = true;
            return;
        }
        double flops = 0;
        for (Variant v : grid.variants()) flops += SweepJob.trainingFlops(v.config(), m.hiddenSize());
        log.printf(Locale.ROOT, "  cost: %d variant(s) x hook(s), training %s; %s%n", grid.variants().size(), flops(flops), time(flops));
        totalFlops += flops;
    }

    void evaluate() {
        Qwen2Config m = model();
        int targets = cfg.grid(out).variants().size();
        for (String p : cfg.protocols()) {
            EvaluateOptions o = cfg.evaluateOptions(p, java.util.List.of("sweep"));
            EncodedPrompts ids = m == null ? null : encoded(o, p);
            if (ids == null) {
                if (m == null) log.println("  " + p + ": cost unknown (model config not readable)");
                unknown = true;
                continue;
            }
            long conditions = conditions(o);
            int n = o.maxNewTokens();
            // per crosscoder: each prompt's prefix through both models once, then every condition's last prompt token
            // and up to n new tokens, each attending to everything before it
            double perCrosscoder = 0;
            int shortest = Integer.MAX_VALUE, longest = 0;
            for (int[] prompt : ids.evaluation()) {
                int t = prompt.length;
                shortest = Math.min(shortest, t);
                longest = Math.max(longest, t);
                perCrosscoder += 2 * (forwardFlops(m, t - 1, m.numHiddenLayers()) + headFlops(m));
                for (int i = 0; i <= n; i++) perCrosscoder += conditions * (tokenFlops(m, t + i) + headFlops(m));
            }
            double ranking = 0; // per hook, both models up to the hook's layer, over the ranking prompts
            for (int layer : cfg.layers()) {
                for (java.util.List<int[]> set : java.util.List.of(ids.tool(), ids.generic())) {
                    for (int[] prompt : set) ranking += 2 * forwardFlops(m, prompt.length, layer + 1);
                }
            }
            double generations = (double) targets * ids.evaluation().size() * conditions;
            double flops = targets * perCrosscoder + ranking;
            log.printf(Locale.ROOT, "  %s: %d crosscoder(s) x %d prompts (%d-%d tokens as the protocol renders them) x %d conditions = %.0f generations "
                            + "of <= %d tokens: <= %s, of which feature ranking %s; %s%n", p, targets, ids.evaluation().size(), shortest, longest,
                    conditions, generations, n, flops(flops), flops(ranking), time(flops));
            totalFlops += flops;
        }
    }

    /**
     * The prompts of one protocol's evaluation as its preflight renders and tokenizes them; null when a table is not
     * readable or the preflight would refuse the run (both said).
     */
    private EncodedPrompts encoded(EvaluateOptions o, String protocol) {
        try {
            java.util.List<org.dfcspark.data.PromptRecord> prompts = PromptsTable.readLocal(sparks.get(), o.prompts(), o.limit());
            java.util.List<org.dfcspark.data.PromptRecord> tool = PromptsTable.readLocal(sparks.get(), o.rankingTool(), o.rankingLimit());
            java.util.List<org.dfcspark.data.PromptRecord> generic = PromptsTable.readLocal(sparks.get(), o.rankingGeneric(), o.rankingLimit());
            return Preflight.encode(o, prompts, tool, generic, new PrintStream(PrintStream.nullOutputStream()));
        } catch (Exception e) {
            log.println("  " + protocol + ": cost unknown (the evaluation's preflight would stop: " + e.getMessage() + ")");
            return null;
        }
    }

    /** Dense FLOPs of a prompt forward of {@code t} tokens through {@code layers} layers, eager attention over the full t x t scores. */
    static double forwardFlops(Qwen2Config m, int t, int layers) {
        return layers * ((double) t * layerFlopsPerToken(m) + 4.0 * t * t * queryWidth(m));
    }

    /** Dense FLOPs of one decoded token at position {@code position}: every layer, attending to the position + 1 keys up to it. */
    static double tokenFlops(Qwen2Config m, int position) {
        return m.numHiddenLayers() * (layerFlopsPerToken(m) + 4.0 * (position + 1) * queryWidth(m));
    }

    private static double headFlops(Qwen2Config m) {
        return 2.0 * m.hiddenSize() * m.vocabSize();
    }

    private static double queryWidth(Qwen2Config m) {
        return (double) m.numAttentionHeads() * m.headDim();
    }

    void total() {
        log.printf(Locale.ROOT, "experiment: total %s%s; %s%n", flops(totalFlops), unknown ? " (plus the stages whose cost is unknown)" : "", time(totalFlops));
    }

    /** Conditions per crosscoder and prompt: as {@code ConditionPlan} expands them when every steering size has enough features. */
    static long conditions(EvaluateOptions o) {
        long n = 0;
        java.util.Map<Object, Long> steeringByModel = new java.util.HashMap<>();
        java.util.Set<Object> cleanModels = new java.util.HashSet<>();
        for (Experiment e : o.experiments()) {
            if (e instanceof Experiment.Clean c) cleanModels.addAll(c.models());
            else if (e instanceof Experiment.Reconstruction r) {
                n += (long) r.models().size() * r.keepError().size();
                cleanModels.addAll(r.models());
            } else if (e instanceof Experiment.Steering s) {
                long k = (long) s.coefficients().size() * s.sizes().size();
                n += k;
                steeringByModel.merge(s.model(), k, Long::sum);
                cleanModels.add(s.model());
            }
        }
        for (Experiment e : o.experiments()) if (e instanceof Experiment.Control c) n += steeringByModel.getOrDefault(c.model(), 0L);
        return n + cleanModels.size();
    }

    /** Dense FLOPs of one decoder layer for one token (2 per multiply-add): attention projections and the SwiGLU MLP. */
    static double layerFlopsPerToken(Qwen2Config m) {
        double h = m.hiddenSize(), q = (double) m.numAttentionHeads() * m.headDim(), kv = (double) m.numKeyValueHeads() * m.headDim();
        return 2 * (h * q + 2 * h * kv + q * h + 3 * h * m.intermediateSize());
    }

    private Qwen2Config model() {
        if (!modelRead) {
            modelRead = true;
            try {
                model = Qwen2Config.load(Path.of(cfg.modelA()));
            } catch (Exception e) {
                model = null;
            }
        }
        return model;
    }

    /** Rows of a prompts table (first {@code limit}); when it cannot be read, the limit (said in a line), else -1. */
    private long prompts(String table, int limit) {
        try {
            return PromptsTable.readLocal(sparks.get(), table, limit).size();
        } catch (Exception e) {
            if (limit > 0) log.println("  (" + table + " is not readable here: counted as its limit, " + limit + " prompts)");
            return limit > 0 ? limit : -1;
        }
    }

    private String time(double flops) {
        SparkSession spark = sparks.get();
        int slots = Math.max(1, spark.sparkContext().defaultParallelism());
        if (gflopsPerSlot < 0) gflopsPerSlot = CrosscoderBenchmark.matmulGflops(1024, 2);
        double seconds = flops / (gflopsPerSlot * 1e9 * slots);
        return String.format(Locale.ROOT, ">= %s on %s (%.0f GFLOP/s x %d slots), %.2f GPU-hours at %.0f TFLOP/s per GPU",
                ProgressReporter.duration(seconds), spark.sparkContext().master(), gflopsPerSlot, slots, flops / (GPU_TFLOPS * 1e12) / 3600, GPU_TFLOPS);
    }

    private static String flops(double f) {
        return f >= 1e15 ? String.format(Locale.ROOT, "%.1f PFLOP", f / 1e15) : f >= 1e12 ? String.format(Locale.ROOT, "%.1f TFLOP", f / 1e12)
                : String.format(Locale.ROOT, "%.1f GFLOP", f / 1e9);
    }
}
