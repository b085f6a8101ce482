package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.CheckpointState;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderTrainer;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.LossKind;
import org.dfcspark.dfc.LrSchedule;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.SafeTensorsActivations;
import org.dfcspark.dfc.Sparsity;
import org.dfcspark.dfc.TrainingRun;
import org.dfcspark.io.OutputDirs;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc crosscoder train}: single-process training from scratch or from --init. */
public final class CrosscoderTrainCommand implements Command {

    @Override
    public String summary() {
        return "train a (dedicated-feature) crosscoder on paired activations";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc crosscoder train --data FILE.safetensors#NAME [--init DIR] --steps N --batch B --out DIR
                         [--no-shuffle] [--overwrite] [--lr X] [--clip 1.0] [--sparsity topk|batchtopk|relu] [--loss paper|reference|anthropic]
                         [--dict-size D --k K --excl-a P --excl-b P --l1 X --l1-excl X]
                         [--coupling separate|tied] [--normalization scalar|zscore|none] [--init-weights paper|transpose]
                         [--bias-init zeros|mean|geomedian] [--warmup N] [--decay-start N] [--seed S]
                         [--auxk-alpha X] [--dead-tokens N] [--threshold-start N]
                         [--log-every N] [--checkpoint-every N] [--max-bad-batches N] [--metrics FILE] [--threads N]
                  --data       raw activations (N, 2, d): index 0 = model A (fine-tuned), 1 = model B (base)
                  --init       start from this checkpoint (its config is used unless overridden; Adam state starts fresh)
                  --overwrite  replace a checkpoint already in --out (never replaced otherwise; --out is checked before any work)
                  --no-shuffle step i uses rows i*B .. (i+1)*B-1 in file order, wrapping; default: seeded shuffle per epoch
                Defaults are the paper's recipe: Adam (0.9, 0.999, eps 1e-8), lr 1e-4 constant, no warm-up, clipping of the
                global gradient norm at 1.0, re-mask after every step; topk, paper loss (l1 1e-3, l1-excl 1e-3),
                dict-size 8192, k 45, excl-a 0.1, excl-b 0.1, separate decoders, paper init, b_dec zeros.
                Normalisation (default scalar: centre + one scale per model so the mean squared norm is d; shared across
                models with --coupling tied) is computed from --data and stored in the checkpoint.
                Metrics (loss terms, FVU per model, L0, dead fraction, max forbidden |w|) every --log-every steps go to
                stderr, to --metrics and to DIR/metrics.jsonl; checkpoints every --checkpoint-every steps (default 1000).""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("data", "init", "steps", "batch", "lr", "clip", "sparsity", "loss", "dict-size", "k", "excl-a", "excl-b", "l1",
                "l1-excl", "coupling", "normalization", "init-weights", "bias-init", "warmup", "decay-start", "seed", "auxk-alpha",
                "dead-tokens", "threshold-start", "log-every", "checkpoint-every", "max-bad-batches", "metrics", "threads", "out");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("no-shuffle", "overwrite");
    }

    @Override
    public int run(Args a) throws Exception {
        String dataSpec = a.require("data");
        Path out = Path.of(a.require("out"));
        if (!a.has("steps")) throw new UsageException("missing required flag --steps");
        if (!a.has("batch")) throw new UsageException("missing required flag --batch");
        int steps = CrosscoderCli.positive(a, "steps", 0), batch = CrosscoderCli.positive(a, "batch", 0);
        double lr = a.getDouble("lr", 1e-4);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new UsageException("--lr must be a positive number, got " + lr);
        double clip = CrosscoderCli.nonNegative(a, "clip", 1.0);
        int warmup = a.getInt("warmup", 0), decayStart = a.getInt("decay-start", -1);
        if (warmup < 0 || warmup >= steps) throw new UsageException("--warmup must be in [0, steps), got " + warmup);
        if (decayStart >= 0 && (decayStart < warmup || decayStart >= steps)) throw new UsageException("--decay-start must be in [warmup, steps), got " + decayStart);
        long seed = a.getLong("seed", 0);
        int threads = CrosscoderCli.threads(a);
        int logEvery = CrosscoderCli.positive(a, "log-every", Math.max(1, Math.min(100, steps / 10)));
        int ckptEvery = a.getInt("checkpoint-every", 1000);
        int maxBad = a.getInt("max-bad-batches", 10);
        if (maxBad < 0) throw new UsageException("--max-bad-batches must be >= 0, got " + maxBad);
        Init.Weights initWeights = CrosscoderCli.choice(a, "init-weights", Init.Weights.PAPER, Init.Weights::parse);
        Init.DecoderBias biasInit = CrosscoderCli.choice(a, "bias-init", Init.DecoderBias.ZEROS, Init.DecoderBias::parse);
        long thresholdStart = a.getLong("threshold-start", Math.min(1000, steps / 2));
        requireFreshOut(out, a.flag("overwrite"));
        if (a.has("metrics")) OutputDirs.requireWritable(Path.of(a.get("metrics")), "--metrics");

        try (SafeTensorsActivations data = SafeTensorsActivations.open(dataSpec)) {
            Crosscoder cc = a.has("init") ? fromInit(a, Path.of(a.get("init")), data) : fromScratch(a, data, initWeights, seed);
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("data", data.describe());
            prov.put("data_rows", data.rows());
            if (a.has("init")) prov.put("init_checkpoint", a.get("init"));
            else prov.put("init_weights", initWeights.id());
            var trainerOpts = new CrosscoderTrainer.Options(new LrSchedule(lr, warmup, decayStart, steps), clip, biasInit, thresholdStart, 0.999);
            var opts = new TrainingRun.Options(steps, batch, !a.flag("no-shuffle"), seed, logEvery, ckptEvery, maxBad, out,
                    a.has("metrics") ? Path.of(a.get("metrics")) : null, System.err, threads, trainerOpts, prov);
            System.err.println("training " + describe(cc) + " on " + data.describe() + " (" + data.rows() + " rows)");
            TrainingRun.Result r = TrainingRun.run(cc, data, opts);
            System.out.printf(java.util.Locale.ROOT, "trained %d steps (%d batches skipped, %.0f rows/s); checkpoint %s%n",
                    r.steps(), r.skippedBatches(), r.rowsPerSecond(), out);
        }
        return 0;
    }

    /**
     * Before any work: {@code --out} must be writable, and a checkpoint already there (finished, or left by a killed
     * run) is replaced only with {@code --overwrite}; anything else there is never replaced.
     */
    static void requireFreshOut(Path out, boolean overwrite) throws java.io.IOException {
        OutputDirs.requireWritable(out, "--out");
        if (OutputDirs.isAbsentOrEmpty(out)) return;
        CheckpointState s = CheckpointState.of(out);
        if (s == null) throw new IllegalArgumentException("--out " + out + " is not empty and holds no checkpoint; choose a new or empty directory");
        if (overwrite) return;
        throw new IllegalArgumentException("--out " + out + " already holds a " + (s.finished() ? "finished checkpoint" : "checkpoint of an unfinished run (state '"
                + s.state() + "' after " + s.steps() + " steps)") + "; pass --overwrite to replace it, or choose another --out");
    }

    static String describe(Crosscoder cc) {
        CrosscoderConfig c = cc.config();
        return "crosscoder d=" + c.activationDim() + " " + cc.partition() + ", " + c.sparsity().id() + " k=" + c.k() + ", loss "
                + c.loss().id() + ", " + c.coupling().id() + " decoders, normalisation "
                + (c.normalization() == null ? "none" : c.normalization().scheme().id() + (c.normalization().shared() ? " (shared)" : ""));
    }

    private static Crosscoder fromScratch(Args a, SafeTensorsActivations data, Init.Weights initWeights, long seed) throws Exception {
        int d = data.dim();
        int dict = CrosscoderCli.positive(a, "dict-size", 8192);
        Sparsity sp = CrosscoderCli.choice(a, "sparsity", Sparsity.TOPK, Sparsity::parse);
        int k = CrosscoderCli.positive(a, "k", Math.min(45, dict));
        Partition p;
        try {
            p = Partition.ofShares(dict, CrosscoderCli.share(a, "excl-a", 0.1), CrosscoderCli.share(a, "excl-b", 0.1));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--excl-a/--excl-b: " + e.getMessage());
        }
        Coupling coupling = CrosscoderCli.choice(a, "coupling", Coupling.SEPARATE, Coupling::parse);
        String normName = a.get("normalization", "scalar");
        CrosscoderConfig cfg;
        try {
            cfg = CrosscoderConfig.paper(d, dict, k, p.nA(), p.nB()).withSparsity(sp).withCoupling(coupling);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        cfg = applyLossFlags(a, cfg);
        if (!normName.equals("none")) {
            Normalization.Scheme scheme = CrosscoderCli.choice(a, "normalization", Normalization.Scheme.SCALAR, Normalization.Scheme::parse);
            cfg = cfg.withNormalization(Normalization.fit(data, scheme, coupling == Coupling.TIED, Double.NaN));
        }
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, initWeights, seed);
        return cc;
    }

    private static Crosscoder fromInit(Args a, Path init, SafeTensorsActivations data) throws Exception {
        CheckpointState.requireFinished(init, "--init");
        Crosscoder cc = Checkpoint.load(init);
        CrosscoderConfig c = cc.config();
        if (data.dim() != c.activationDim()) {
            throw new IllegalArgumentException(data.describe() + ": activation dim " + data.dim() + " but --init " + init + " has " + c.activationDim());
        }
        for (String fixed : new String[] {"dict-size", "excl-a", "excl-b", "coupling", "normalization", "init-weights"}) {
            if (a.has(fixed)) throw new UsageException("--" + fixed + " cannot be changed when training from --init " + init);
        }
        if (a.has("sparsity")) c = c.withSparsity(CrosscoderCli.choice(a, "sparsity", c.sparsity(), Sparsity::parse));
        if (a.has("k")) {
            try {
                c = new CrosscoderConfig(c.activationDim(), c.dictSize(), CrosscoderCli.positive(a, "k", c.k()), c.nA(), c.nB(), c.sparsity(),
                        c.loss(), c.l1(), c.l1Excl(), c.auxkAlpha(), c.deadTokens(), c.coupling(), c.normalization(), c.threshold(), c.provenance());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        c = applyLossFlags(a, c);
        Crosscoder copy = Crosscoder.fromPaperTensors(c, cc.wEnc(), cc.bEnc(), cc.wDec(), cc.bDec());
        return copy;
    }

    private static CrosscoderConfig applyLossFlags(Args a, CrosscoderConfig c) {
        LossKind kind = CrosscoderCli.choice(a, "loss", c.loss(), LossKind::parse);
        double l1 = CrosscoderCli.nonNegative(a, "l1", kind == c.loss() ? c.l1() : CrosscoderConfig.DEFAULT_L1);
        double l1Excl = CrosscoderCli.nonNegative(a, "l1-excl", kind == c.loss() ? c.l1Excl() : CrosscoderConfig.DEFAULT_L1);
        double alpha = CrosscoderCli.nonNegative(a, "auxk-alpha", c.auxkAlpha());
        long dead = a.getLong("dead-tokens", c.deadTokens());
        if (dead < 0) throw new UsageException("--dead-tokens must be >= 0, got " + dead);
        return c.withLoss(kind, l1, l1Excl).withAuxK(alpha, dead);
    }
}
