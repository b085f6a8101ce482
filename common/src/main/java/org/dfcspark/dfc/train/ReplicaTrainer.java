package org.dfcspark.dfc.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderTrainer;
import org.dfcspark.dfc.DeadLatents;
import org.dfcspark.dfc.Gradients;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.LossTerms;
import org.dfcspark.dfc.MetricsWindow;
import org.dfcspark.dfc.TrainingRun;
import org.dfcspark.dfc.Version;

/**
 * The training loop of one data-parallel replica (one Spark barrier task; or the only one).
 *
 * <p>The data is {@code S} sub-streams ({@link BlockShuffledStream}); a global batch is one micro-batch of B/S rows
 * from each, and replica r owns the streams s with s mod R = r. With {@code sync = every-step} a step is: gradients of
 * each owned micro-batch (added up in stream order), summed across replicas by the {@link AllReduce}, scaled by 1/S;
 * loss statistics summed, fired sets OR-ed, the BatchTopK minimum taken across replicas; then every replica applies the
 * same clip + Adam + re-mask. R = 1 does the same arithmetic on the same micro-batches, so one process and R replicas
 * train the same parameters. With {@code every:H} replicas step on their own micro-batches and average parameters,
 * Adam moments, threshold and dead-latent counters every H steps.
 *
 * <p>Replica 0 writes checkpoints (crosscoder + optimiser + data positions of every stream, atomically) every
 * {@code checkpoint_every} steps and at the end; when {@code out} already holds an unfinished checkpoint of the same
 * settings every replica resumes from it. Replicas compare a hash of their parameters every {@code hash_every} steps.
 */
public final class ReplicaTrainer {

    /** How the run ended; {@code stopped} is null when it took all its steps. */
    public record Result(long steps, long badRows, double rowsPerSecond, double allReduceMsPerStep, double bytesPerStep,
                         String stopped, long resumedFrom) {}

    private final TrainConfig cfg;
    private final UnitSource source;
    private final AllReduce comm;
    private final Path out;
    private final PrintStream progress;
    private final int threads;
    private final boolean failOnce;
    private final int streams;
    private final List<BlockShuffledStream> owned = new ArrayList<>();
    private final List<Integer> ownedIndex = new ArrayList<>();
    private final List<String> metrics = new ArrayList<>();

    private Crosscoder cc;
    private CrosscoderTrainer trainer;
    private DeadLatents dead;
    private long badRowsBefore;
    private long commNanos;

    /**
     * @param ccConfig the crosscoder's config (shapes, loss, fitted normalisation), the same on every replica
     * @param out      the checkpoint directory (written by replica 0; read by all when resuming)
     * @param failOnce tests: this replica throws at {@code testing_fail_at_step} (the caller decides which replica, once)
     */
    public ReplicaTrainer(TrainConfig cfg, CrosscoderConfig ccConfig, UnitSource source, AllReduce comm, Path out,
                          PrintStream progress, int threads, boolean failOnce) {
        if (source.dim() != ccConfig.activationDim()) {
            throw new IllegalArgumentException(source.describe() + ": activation dim " + source.dim() + " but the crosscoder has " + ccConfig.activationDim());
        }
        if (comm.size() != cfg.replicas()) throw new IllegalArgumentException("the collective has " + comm.size() + " members, replicas = " + cfg.replicas());
        this.cfg = cfg;
        this.source = source;
        this.comm = comm;
        this.out = out;
        this.progress = progress;
        this.threads = Math.max(1, threads);
        this.failOnce = failOnce;
        this.streams = cfg.streamCount();
        for (int s = comm.rank(); s < streams; s += comm.size()) {
            owned.add(new BlockShuffledStream(source, BlockShuffledStream.unitsOf(source.units(), streams, s), cfg.shuffleBlock(), cfg.seed(), s));
            ownedIndex.add(s);
        }
        this.cc = new Crosscoder(ccConfig);
        Init.weights(cc, cfg.init(), cfg.seed());
    }

    public Crosscoder crosscoder() {
        return cc;
    }

    public Result run() throws IOException {
        trainer = new CrosscoderTrainer(cc, cfg.trainerOptions(), threads);
        dead = new DeadLatents(cc.dictSize(), cc.config().deadTokens());
        long resumedFrom = resumeIfCheckpointed();
        int m = cfg.microBatch(), w = 2 * cc.activationDim();
        float[] batch = new float[m * w];
        Gradients sum = new Gradients(cc), part = new Gradients(cc);
        MetricsWindow window = new MetricsWindow(cc.dictSize(), cfg.batch());
        long started = System.nanoTime(), startStep = trainer.stepsTaken(), bytesAtStart = comm.bytesReduced();
        if (trainer.stepsTaken() == 0) initDecoderBias(batch);
        String stopped = null;
        while (trainer.stepsTaken() < cfg.steps()) {
            long t = trainer.stepsTaken();
            if (failOnce && t == cfg.testingFailAtStep()) {
                throw new IllegalStateException("injected failure at step " + t + " (testing_fail_at_step)");
            }
            Step s = cfg.sync().exact() ? exactStep(batch, sum, part) : localStep(batch, sum, part);
            CrosscoderTrainer.StepResult r = trainer.apply(sum, s.terms());
            if (!cfg.sync().exact()) r = agreeOnDivergence(r); // local steps differ: all replicas stop if one diverged
            if (r.status() == CrosscoderTrainer.Status.DIVERGED) {
                stopped = "training diverged: " + r.detail() + "; the last checkpoint in " + out + " is the last good one";
                break;
            }
            long done = trainer.stepsTaken();
            if (!cfg.sync().exact() && (done % cfg.sync().every() == 0 || done == cfg.steps())) averageReplicas();
            window.add(s.terms(), r, s.fired());
            boolean synced = cfg.sync().exact() || done % cfg.sync().every() == 0 || done == cfg.steps();
            if (synced && done % cfg.hashEvery() == 0) checkHashes(done);
            if (done % cfg.logEvery() == 0 || done == cfg.steps()) {
                long bad = badRows(true); // at the same steps on every replica, so all of them stop together
                logLine(window.flush(done, cc, dead, "bad_rows", bad));
                if (bad > cfg.maxBadRows() && synced) {
                    save(done, false);
                    stopped = source.describe() + ": " + bad + " rows with NaN/Inf (limit max_bad_rows = " + cfg.maxBadRows()
                            + "); parameters after " + done + " steps saved to " + out;
                    break;
                }
            }
            if (cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0 && done < cfg.steps()) save(done, false);
            if (cfg.testingStepDelayMs() > 0) sleep(cfg.testingStepDelayMs());
        }
        if (stopped == null) save(trainer.stepsTaken(), true);
        long steps = trainer.stepsTaken() - startStep;
        double sec = (System.nanoTime() - started) / 1e9;
        return new Result(trainer.stepsTaken(), badRows(false), steps * (double) cfg.batch() / sec,
                steps == 0 ? 0 : commNanos / 1e6 / steps, steps == 0 ? 0 : (comm.bytesReduced() - bytesAtStart) / (double) steps,
                stopped, resumedFrom);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private record Step(LossTerms terms, boolean[] fired) {}

    /** Every replica's micro-batches, one update for all: gradients and statistics summed across replicas. */
    private Step exactStep(float[] batch, Gradients sum, Gradients part) throws IOException {
        Stats stats = ownedMicroBatches(batch, sum, part);
        for (float[] g : sum.buffers()) reduce(g, Op.SUM);
        sum.scale(1f / streams);
        stats.reduce();
        return finishStep(stats, streams, cfg.batch());
    }

    /** Local SGD: this replica's micro-batches only; replicas are averaged every H steps by {@link #averageReplicas}. */
    private Step localStep(float[] batch, Gradients sum, Gradients part) throws IOException {
        Stats stats = ownedMicroBatches(batch, sum, part);
        sum.scale(1f / owned.size());
        return finishStep(stats, owned.size(), cfg.microBatch() * owned.size());
    }

    /** Gradients of this replica's micro-batches added up in stream order into {@code sum}, with their statistics. */
    private Stats ownedMicroBatches(float[] batch, Gradients sum, Gradients part) throws IOException {
        int m = cfg.microBatch();
        sum.zero();
        Stats stats = new Stats(cc.dictSize());
        for (BlockShuffledStream stream : owned) {
            stream.next(batch, 0, m);
            normalize(batch, m);
            trainer.deadLatents().setCounters(dead.counters());
            LossTerms lt = trainer.computeGradients(batch, m, part);
            sum.add(part);
            stats.add(lt, trainer.lastFired());
        }
        return stats;
    }

    /** Dead-latent counters advanced by the step's {@code rows} rows; the step's mean loss terms over {@code parts}. */
    private Step finishStep(Stats stats, int parts, int rows) {
        dead.update(stats.firedGlobal(), rows);
        trainer.deadLatents().setCounters(dead.counters());
        return new Step(stats.mean(parts, dead.deadCount()), stats.firedGlobal());
    }

    /** With local steps one replica can diverge alone; a 4-byte MAX makes every replica see it and stop together. */
    private CrosscoderTrainer.StepResult agreeOnDivergence(CrosscoderTrainer.StepResult r) {
        float[] flag = {r.status() == CrosscoderTrainer.Status.DIVERGED ? 1f : 0f};
        reduce(flag, Op.MAX);
        if (flag[0] == 0f || r.status() == CrosscoderTrainer.Status.DIVERGED) return r;
        return new CrosscoderTrainer.StepResult(CrosscoderTrainer.Status.DIVERGED, r.terms(), r.gradNorm(), r.lr(), "another replica diverged");
    }

    /** Parameters, Adam moments, the BatchTopK threshold and dead-latent counters averaged over replicas (every:H). */
    private void averageReplicas() {
        if (comm.size() == 1) return;
        float inv = 1f / comm.size();
        for (float[] p : cc.parameterArrays()) averageInPlace(p, inv);
        for (float[] mo : trainer.optimizer().moments()) averageInPlace(mo, inv);
        cc.parametersChanged();
        if (cc.config().sparsityRule().learnsThreshold()) {
            float[] th = {(float) cc.config().threshold()};
            reduce(th, Op.SUM);
            cc.replaceConfig(cc.config().withThreshold(th[0] * inv));
        }
        // Dead-latent counters: a latent is as alive as its most recent firing on any replica.
        long[] c = dead.counters();
        float[] f = new float[c.length];
        for (int j = 0; j < c.length; j++) f[j] = Math.min(c[j], dead.threshold());
        reduce(f, Op.MIN);
        for (int j = 0; j < c.length; j++) c[j] = (long) f[j];
        dead.setCounters(c);
        trainer.deadLatents().setCounters(c);
    }

    private void averageInPlace(float[] a, float inv) {
        reduce(a, Op.SUM);
        for (int i = 0; i < a.length; i++) a[i] *= inv;
    }

    /**
     * The decoder bias from the first micro-batch of stream 0 (replica 0 owns it), sent to every replica, so the
     * initial parameters do not depend on the number of replicas.
     */
    private void initDecoderBias(float[] batch) throws IOException {
        if (cfg.biasInit() == Init.DecoderBias.ZEROS) return;
        float[] bDec = cc.parameterArrays()[3];
        if (comm.rank() == 0) {
            BlockShuffledStream first = owned.get(0);
            first.next(batch, 0, cfg.microBatch());
            first.seek(StreamPosition.START);
            normalize(batch, cfg.microBatch());
            Init.decoderBias(cc, cfg.biasInit(), batch, cfg.microBatch());
        } else {
            java.util.Arrays.fill(bDec, 0f);
        }
        reduce(bDec, Op.SUM);
        cc.parametersChanged();
    }

    private void normalize(float[] batch, int n) {
        if (cc.config().normalization() != null) cc.config().normalization().normalize(batch, n);
    }

    // ---- checkpoints ----

    /** Resumes from an unfinished checkpoint of the same settings in {@code out}; returns the step resumed at (0: fresh). */
    private long resumeIfCheckpointed() throws IOException {
        if (out == null || !TrainState.exists(out)) return 0;
        TrainState st = TrainState.read(out);
        String diff = cfg.identityDifference(st.settings());
        if (!diff.isEmpty()) throw new IllegalArgumentException(out + " holds a run with other settings (" + diff + ")");
        if (st.positions().size() != streams) throw new IllegalArgumentException(out + ": state.json has " + st.positions().size() + " streams, this run " + streams);
        Crosscoder loaded = Checkpoint.load(out);
        float[][] src = loaded.parameterArrays(), dst = cc.parameterArrays();
        for (int i = 0; i < dst.length; i++) System.arraycopy(src[i], 0, dst[i], 0, dst[i].length);
        cc.replaceConfig(cc.config().withThreshold(loaded.config().threshold()));
        cc.parametersChanged();
        trainer = new CrosscoderTrainer(cc, cfg.trainerOptions(), threads);
        long[] counters = TrainState.readOptimizer(out, trainer.optimizer());
        dead.setCounters(counters);
        trainer.deadLatents().setCounters(counters);
        trainer.resumeAt(st.step());
        for (int i = 0; i < owned.size(); i++) owned.get(i).seek(st.positions().get(ownedIndex.get(i)));
        badRowsBefore = st.badRows();
        Path metricsFile = out.resolve(Checkpoint.METRICS);
        if (Files.isRegularFile(metricsFile)) metrics.addAll(Files.readAllLines(metricsFile, StandardCharsets.UTF_8));
        if (progress != null && comm.rank() == 0) progress.println("resuming " + out + " at step " + st.step() + "/" + cfg.steps());
        return st.step();
    }

    /** Every replica contributes its streams' positions; replica 0 writes the checkpoint. */
    private void save(long step, boolean finished) throws IOException {
        float[] pos = new float[3 * streams];
        for (int i = 0; i < owned.size(); i++) {
            StreamPosition p = owned.get(i).position();
            int s = ownedIndex.get(i);
            pos[3 * s] = p.epoch();
            pos[3 * s + 1] = p.block();
            pos[3 * s + 2] = p.offset();
        }
        reduce(pos, Op.SUM);
        long bad = badRows(true);
        if (comm.rank() != 0 || out == null) return;
        List<StreamPosition> positions = new ArrayList<>();
        for (int s = 0; s < streams; s++) positions.add(new StreamPosition((long) pos[3 * s], (int) pos[3 * s + 1], (int) pos[3 * s + 2]));
        TrainState st = new TrainState(step, finished, positions, bad, cfg.identity());
        Map<String, Object> prov = new LinkedHashMap<>(cc.config().provenance());
        prov.put("state", finished ? "completed" : "running");
        prov.put("steps", step);
        prov.put("replicas", cfg.replicas());
        prov.put("sync", cfg.sync().id());
        prov.put("bad_rows", bad);
        prov.put("code_version", Version.CODE);
        prov.put("train_config", cfg.toMap());
        cc.replaceConfig(cc.config().withProvenance(prov));
        Map<String, Checkpoint.ExtraFile> extras = new LinkedHashMap<>();
        long[] counters = dead.counters();
        extras.put(Checkpoint.OPTIMIZER, f -> TrainState.writeOptimizer(f, trainer.optimizer(), counters));
        extras.put(Checkpoint.STATE, f -> Files.writeString(f, st.toJson(), StandardCharsets.UTF_8));
        Checkpoint.save(cc, out, metrics, extras);
    }

    /** Rows skipped for NaN/Inf by this run and the runs it resumes; {@code global}: summed over replicas. */
    private long badRows(boolean global) {
        float[] b = {source.badRows()};
        if (global) reduce(b, Op.SUM);
        return badRowsBefore + (long) b[0];
    }

    // ---- replicas agree ----

    private void checkHashes(long step) {
        CRC32 crc = new CRC32();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4 * 4096);
        for (float[] p : cc.parameterArrays()) {
            for (int i = 0; i < p.length; i += 4096) {
                buf.clear();
                for (int j = i, end = Math.min(p.length, i + 4096); j < end; j++) buf.putFloat(p[j]);
                crc.update(buf.array(), 0, buf.position());
            }
        }
        long h = crc.getValue();
        float[] lo = {h & 0xFFFF, (h >>> 16) & 0xFFFF}, hi = lo.clone();
        reduce(lo, Op.MIN);
        reduce(hi, Op.MAX);
        if (lo[0] != hi[0] || lo[1] != hi[1]) {
            throw new IllegalStateException("replicas diverged: parameter hashes differ across replicas at step " + step + " (replica " + comm.rank() + ")");
        }
    }

    private enum Op { SUM, MAX, MIN }

    private void reduce(float[] v, Op op) {
        if (comm.size() == 1) return;
        long t0 = System.nanoTime();
        switch (op) {
            case SUM -> comm.sum(v);
            case MAX -> comm.max(v);
            case MIN -> comm.min(v);
        }
        commNanos += System.nanoTime() - t0;
    }

    private void logLine(String line) throws IOException {
        metrics.add(line);
        if (progress != null && comm.rank() == 0) progress.println(TrainingRun.progressLine(line, cfg.steps()));
    }

    /** Loss statistics of one step's micro-batches: local sums, then (exact sync) summed across replicas. */
    private final class Stats {
        private final List<String> names = new ArrayList<>();
        private double[] sums;
        private final float[] fired;
        private float minRanked = Float.POSITIVE_INFINITY;
        private int count;

        Stats(int dict) {
            fired = new float[dict];
        }

        void add(LossTerms t, boolean[] firedNow) {
            if (sums == null) {
                names.addAll(t.terms().keySet());
                sums = new double[names.size() + 4];
            }
            int i = 0;
            sums[i++] += t.total();
            for (String n : names) sums[i++] += t.term(n);
            sums[i++] += t.fvuA();
            sums[i++] += t.fvuB();
            sums[i] += t.l0();
            for (int j = 0; j < fired.length; j++) if (firedNow[j]) fired[j] = 1f;
            if (!Double.isNaN(t.minActiveRanked())) minRanked = Math.min(minRanked, (float) t.minActiveRanked());
            count++;
        }

        void reduce() {
            float[] s = new float[sums.length];
            for (int i = 0; i < s.length; i++) s[i] = (float) sums[i];
            ReplicaTrainer.this.reduce(s, Op.SUM);
            for (int i = 0; i < s.length; i++) sums[i] = s[i];
            ReplicaTrainer.this.reduce(fired, Op.MAX);
            float[] mr = {minRanked};
            ReplicaTrainer.this.reduce(mr, Op.MIN);
            minRanked = mr[0];
        }

        boolean[] firedGlobal() {
            boolean[] b = new boolean[fired.length];
            for (int j = 0; j < b.length; j++) b[j] = fired[j] > 0;
            return b;
        }

        /** Means over {@code parts} micro-batches; the total is what the applied gradient is the gradient of. */
        LossTerms mean(int parts, int deadCount) {
            Map<String, Double> terms = new LinkedHashMap<>();
            int i = 1;
            for (String n : names) terms.put(n, sums[i++] / parts);
            double fvuA = sums[i++] / parts, fvuB = sums[i++] / parts, l0 = sums[i] / parts;
            return new LossTerms(sums[0] / parts, terms, fvuA, fvuB, l0, deadCount,
                    Float.isInfinite(minRanked) ? Double.NaN : minRanked);
        }
    }
}
