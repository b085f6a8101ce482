package org.dfcspark.dfc.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.ParallelItems;
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
 *
 * <p>Lockstep (one replica only): several crosscoders ({@link Job}s, the variants of a sweep) with the same data
 * settings train on one stream of batches: every micro-batch is read once and fed to each of them (normalised with its
 * own normalisation), a few steps of batches at a time, each learner taking them in turn (its state stays in the
 * caches; its checkpoints record each step's data position). Each learner's arithmetic is exactly what it would do
 * alone, so lockstep and separate runs give the same parameters. A learner that diverges or throws stops alone (its
 * last checkpoint kept, its reason in its {@link Result}); the others go on. Learners may take different numbers of
 * steps; they must start at the same step. Given several threads, lockstep learners step side by side, each thread
 * taking the next learner of the round (largest first), so that the threads stay evenly loaded however fast each core
 * runs; a learner's arithmetic is the same on any thread.
 */
public final class ReplicaTrainer {

    /**
     * One crosscoder to train: its settings, its crosscoder config (shapes, loss, fitted normalisation), its checkpoint
     * directory, and for tests the step at which it throws ({@code -1}: never; see {@link org.dfcspark.testing.InjectedFaults}).
     */
    public record Job(TrainConfig cfg, CrosscoderConfig ccConfig, Path out, long failAtStep) {
        public Job(TrainConfig cfg, CrosscoderConfig ccConfig, Path out) {
            this(cfg, ccConfig, out, -1);
        }
    }

    /**
     * How a learner's run ended; {@code stopped} is null when it took all its steps, {@code failed} is true when it
     * threw (in lockstep; alone it propagates the exception). {@code waitMsPerStep}: time spent waiting for the slowest
     * replica to reach the gradient all-reduce (skew); {@code allReduceMsPerStep}: the all-reduces themselves once every
     * replica is there.
     */
    public record Result(long steps, long badRows, double rowsPerSecond, double allReduceMsPerStep, double bytesPerStep,
                         String stopped, long resumedFrom, boolean failed, double waitMsPerStep) {}

    private final TrainConfig data;
    private final UnitSource source;
    private final AllReduce comm;
    private final PrintStream progress;
    /** Threads of each learner's own step; and how many learners step at once (lockstep only). */
    private final int stepThreads;
    private final int learnerThreads;
    private final int streams;
    private final List<BlockShuffledStream> owned = new ArrayList<>();
    private final List<Integer> ownedIndex = new ArrayList<>();
    private final List<Learner> learners = new ArrayList<>();
    private long commNanos;
    private long waitNanos;
    private Runnable stepListener = () -> {};
    private final Object listenerLock = new Object();
    private long stepDelayMs;

    /**
     * One crosscoder (the data-parallel case).
     *
     * @param ccConfig the crosscoder's config (shapes, loss, fitted normalisation), the same on every replica
     * @param out      the checkpoint directory (written by replica 0; read by all when resuming)
     * @param failAtStep tests: this replica throws at this step ({@code -1}: never; the caller decides which replica, once)
     */
    public ReplicaTrainer(TrainConfig cfg, CrosscoderConfig ccConfig, UnitSource source, AllReduce comm, Path out,
                          PrintStream progress, int threads, long failAtStep) {
        this(List.of(new Job(cfg, ccConfig, out, failAtStep)), source, comm, progress, threads);
    }

    /** Several crosscoders in lockstep on one replica, or one crosscoder on any number of replicas. */
    public ReplicaTrainer(List<Job> jobs, UnitSource source, AllReduce comm, PrintStream progress, int threads) {
        if (jobs.isEmpty()) throw new IllegalArgumentException("nothing to train");
        if (jobs.size() > 1 && comm.size() > 1) throw new IllegalArgumentException("lockstep training of several crosscoders needs one replica, got " + comm.size());
        this.data = jobs.get(0).cfg();
        for (Job j : jobs) {
            if (source.dim() != j.ccConfig().activationDim()) {
                throw new IllegalArgumentException(source.describe() + ": activation dim " + source.dim() + " but the crosscoder has " + j.ccConfig().activationDim());
            }
            String diff = data.dataDifference(j.cfg());
            if (!diff.isEmpty()) throw new IllegalArgumentException("crosscoders in lockstep must read the same batches; they differ in " + diff);
        }
        if (comm.size() != data.replicas()) throw new IllegalArgumentException("the collective has " + comm.size() + " members, replicas = " + data.replicas());
        this.source = source;
        this.comm = comm;
        this.progress = progress;
        this.learnerThreads = jobs.size() == 1 ? 1 : Math.min(Math.max(1, threads), jobs.size());
        this.stepThreads = stepThreads(jobs.size(), threads);
        this.streams = data.streamCount();
        for (int s = comm.rank(); s < streams; s += comm.size()) {
            owned.add(new BlockShuffledStream(source, BlockShuffledStream.unitsOf(source.units(), streams, s), data.shuffleBlock(), data.seed(), s));
            ownedIndex.add(s);
        }
        Learner[] made = new Learner[jobs.size()];
        try {
            ParallelItems.forEach(jobs.size(), learnerThreads, i -> made[i] = new Learner(jobs.get(i))); // each from its own seed
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a new learner reads nothing
        }
        learners.addAll(List.of(made));
    }

    /** Tests: sleep this long after every step (so that a test can kill a run midway). */
    public ReplicaTrainer slowedBy(long stepDelayMs) {
        this.stepDelayMs = stepDelayMs;
        return this;
    }

    /** Called after every step any crosscoder takes (a progress counter). */
    public ReplicaTrainer onEveryStep(Runnable listener) {
        this.stepListener = listener;
        return this;
    }

    /** The (first) crosscoder. */
    public Crosscoder crosscoder() {
        return learners.get(0).cc;
    }

    /** Trains the one crosscoder; see {@link #runAll()}. */
    public Result run() throws IOException {
        return runAll().get(0);
    }

    /** Trains every crosscoder to its {@code steps}; results in the jobs' order. */
    public List<Result> runAll() throws IOException {
        long startStep = -1;
        StreamPosition[] positions = null;
        ParallelItems.forEach(learners.size(), learnerThreads, i -> learners.get(i).resume());
        for (Learner l : learners) {
            if (startStep >= 0 && l.trainer.stepsTaken() != startStep) {
                throw new IllegalArgumentException("crosscoders in lockstep must start at the same step: " + l.out + " is at step "
                        + l.trainer.stepsTaken() + ", " + learners.get(0).out + " at " + startStep);
            }
            startStep = l.trainer.stepsTaken();
            if (l.resumedPositions != null) {
                if (positions != null && !java.util.Arrays.equals(positions, l.resumedPositions)) {
                    throw new IllegalArgumentException(l.out + ": its data position differs from the other crosscoders' in lockstep");
                }
                positions = l.resumedPositions;
            }
        }
        if (positions != null) for (int i = 0; i < owned.size(); i++) owned.get(i).seek(positions[ownedIndex.get(i)]);
        int m = data.microBatch(), w = 2 * source.dim(), parts = owned.size();
        float[] raw = new float[m * w];
        long started = System.nanoTime(), bytesAtStart = comm.bytesReduced();
        if (startStep == 0) initDecoderBias(raw);
        List<Learner> active = new ArrayList<>();
        for (Learner l : learners) if (l.trainer.stepsTaken() < l.cfg.steps()) active.add(l);
        // several threads take the learners one at a time: the largest first, so the last ones taken are short
        if (learnerThreads > 1) active.sort(Comparator.comparingLong((Learner l) -> l.cc.dictSize()).reversed());
        int chunk = chunkSteps((long) parts * m * w * Float.BYTES);
        float[] rows = new float[chunk * parts * m * w];
        StreamPosition[][] positionsAfter = new StreamPosition[chunk][parts];
        long[] badRowsAfter = new long[chunk];
        while (!active.isEmpty()) {
            // Every micro-batch is read once and fed to every learner: `chunk` steps of them, then each learner takes
            // those steps in turn, so that its parameters and moments stay in the caches while it does.
            long t = active.get(0).trainer.stepsTaken(), left = 0;
            for (Learner l : active) left = Math.max(left, l.cfg.steps() - l.trainer.stepsTaken());
            int steps = (int) Math.min(chunk, left);
            for (int s = 0; s < steps; s++) {
                for (int i = 0; i < parts; i++) {
                    owned.get(i).next(rows, (s * parts + i) * m, m);
                    positionsAfter[s][i] = owned.get(i).position();
                }
                badRowsAfter[s] = source.badRows();
            }
            normalizeOnce(active, rows, steps * parts * m);
            long first = t;
            int count = steps;
            // each learner takes the steps in turn, or side by side on several threads (a failure stays in its learner)
            ParallelItems.forEach(active.size(), learnerThreads, li -> {
                Learner l = active.get(li);
                float[] own = normalizedRows.getOrDefault(l.cc.config().normalization(), rows);
                boolean normalized = own != rows;
                for (int s = 0; s < count && !l.done(); s++) {
                    if (first + s == l.failAtStep) {
                        l.fail(new IllegalStateException("injected failure at step " + (first + s) + " (" + org.dfcspark.testing.InjectedFaults.PROPERTY + ")"));
                        break;
                    }
                    l.beginStep();
                    for (int i = 0; i < parts; i++) l.microBatch(own, (s * parts + i) * m * w, m, normalized);
                    l.finishStep(positionsAfter[s], badRowsAfter[s]);
                }
            });
            active.removeIf(Learner::done);
        }
        double sec = (System.nanoTime() - started) / 1e9;
        List<Result> results = new ArrayList<>();
        for (Learner l : learners) {
            long steps = l.trainer.stepsTaken() - l.startStep;
            results.add(new Result(l.trainer.stepsTaken(), l.badRows(false), steps * (double) l.cfg.batch() / sec,
                    steps == 0 ? 0 : commNanos / 1e6 / steps, steps == 0 ? 0 : (comm.bytesReduced() - bytesAtStart) / (double) steps,
                    l.stopped, l.resumedFrom, l.failed, steps == 0 ? 0 : waitNanos / 1e6 / steps));
        }
        return results;
    }

    /** The rows read ahead, normalised once for each normalisation that several lockstep learners share. */
    private final Map<Normalization, float[]> normalizedRows = new HashMap<>();

    private void normalizeOnce(List<Learner> active, float[] rows, int count) {
        Map<Normalization, Integer> users = new HashMap<>();
        for (Learner l : active) {
            Normalization n = l.cc.config().normalization();
            if (n != null) users.merge(n, 1, Integer::sum);
        }
        normalizedRows.keySet().retainAll(users.keySet());
        users.forEach((n, sharing) -> {
            if (sharing < 2) {
                normalizedRows.remove(n);
                return;
            }
            float[] copy = normalizedRows.get(n);
            if (copy == null || copy.length < rows.length) normalizedRows.put(n, copy = new float[rows.length]);
            System.arraycopy(rows, 0, copy, 0, count * 2 * source.dim());
            n.normalize(copy, count);
        });
    }

    /** Bytes of batches read ahead for lockstep learners (a few MB: one learner's state and them fit in a core's caches). */
    private static final long LOCKSTEP_READ_AHEAD_BYTES = 8L << 20;
    private static final int LOCKSTEP_MAX_STEPS = 16;

    /**
     * Steps read ahead per round: one alone or with replicas (whose collectives go step by step); several in lockstep,
     * within {@link #LOCKSTEP_READ_AHEAD_BYTES}. Only the order of work changes: each learner sees the same batches.
     */
    private int chunkSteps(long bytesPerStep) {
        if (learners.size() == 1) return 1;
        return (int) Math.max(1, Math.min(LOCKSTEP_MAX_STEPS, LOCKSTEP_READ_AHEAD_BYTES / bytesPerStep));
    }

    /**
     * Threads of each crosscoder's own step when {@code crosscoders} train on {@code threads} threads: all of them for
     * one; in lockstep the threads take whole learners (each learner's arithmetic does not depend on its thread count),
     * and what is left over is shared out.
     */
    public static int stepThreads(int crosscoders, int threads) {
        int t = Math.max(1, threads);
        return crosscoders <= 1 ? t : Math.max(1, t / Math.min(t, crosscoders));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The decoder bias from the first micro-batch of stream 0 (replica 0 owns it), sent to every replica, so the
     * initial parameters do not depend on the number of replicas.
     */
    private void initDecoderBias(float[] raw) throws IOException {
        boolean any = false;
        for (Learner l : learners) any |= l.cfg.biasInit() != Init.DecoderBias.ZEROS;
        if (!any) return;
        int m = data.microBatch();
        if (comm.rank() == 0) {
            BlockShuffledStream first = owned.get(0);
            first.next(raw, 0, m);
            first.seek(StreamPosition.START);
        }
        for (Learner l : learners) {
            if (l.cfg.biasInit() == Init.DecoderBias.ZEROS) continue;
            float[] bDec = l.cc.parameterArrays()[3];
            if (comm.rank() == 0) {
                System.arraycopy(raw, 0, l.batch, 0, m * 2 * source.dim());
                l.normalize(l.batch, m);
                Init.decoderBias(l.cc, l.cfg.biasInit(), l.batch, m);
            } else {
                java.util.Arrays.fill(bDec, 0f);
            }
            reduce(bDec, Op.SUM);
            l.cc.parametersChanged();
        }
    }

    /** One crosscoder's training state: its parameters, optimiser, counters, metrics and checkpoint directory. */
    private final class Learner {
        final TrainConfig cfg;
        final Path out;
        final long failAtStep;
        final List<String> metrics = new ArrayList<>();
        Crosscoder cc;
        CrosscoderTrainer trainer;
        DeadLatents dead;
        MetricsWindow window;
        Gradients sum, part;
        final float[] batch;
        long badRowsBefore, startStep, resumedFrom;
        StreamPosition[] resumedPositions;
        Stats stats;
        String stopped;
        boolean failed;
        /** The data's state after the step being taken (see {@link #finishStep}). */
        StreamPosition[] dataPositions;
        long sourceBadRows;

        Learner(Job job) {
            this.cfg = job.cfg();
            this.out = job.out();
            this.failAtStep = job.failAtStep();
            this.cc = new Crosscoder(job.ccConfig());
            Init.weights(cc, cfg.init(), cfg.seed());
            this.batch = new float[data.microBatch() * 2 * job.ccConfig().activationDim()];
        }

        /** Resumes from an unfinished checkpoint of the same settings in {@code out}, if there is one. */
        void resume() throws IOException {
            trainer = new CrosscoderTrainer(cc, cfg.trainerOptions(), stepThreads);
            dead = new DeadLatents(cc.dictSize(), cc.config().deadTokens());
            if (out != null && TrainState.exists(out)) {
                TrainState st = TrainState.read(out);
                String diff = cfg.identityDifference(st.settings());
                if (!diff.isEmpty()) throw new IllegalArgumentException(out + " holds a run with other settings (" + diff + ")");
                if (st.positions().size() != streams) throw new IllegalArgumentException(out + ": state.json has " + st.positions().size() + " streams, this run " + streams);
                Crosscoder loaded = Checkpoint.load(out);
                float[][] src = loaded.parameterArrays(), dst = cc.parameterArrays();
                for (int i = 0; i < dst.length; i++) System.arraycopy(src[i], 0, dst[i], 0, dst[i].length);
                cc.replaceConfig(cc.config().withThreshold(loaded.config().threshold()));
                cc.parametersChanged();
                trainer = new CrosscoderTrainer(cc, cfg.trainerOptions(), stepThreads);
                long[] counters = TrainState.readOptimizer(out, trainer.optimizer());
                dead.setCounters(counters);
                trainer.deadLatents().setCounters(counters);
                trainer.resumeAt(st.step());
                resumedPositions = st.positions().toArray(new StreamPosition[0]);
                badRowsBefore = st.badRows();
                Path metricsFile = out.resolve(Checkpoint.METRICS);
                if (Files.isRegularFile(metricsFile)) metrics.addAll(Files.readAllLines(metricsFile, StandardCharsets.UTF_8));
                if (progress != null && comm.rank() == 0) progress.println("resuming " + out + " at step " + st.step() + "/" + cfg.steps());
                resumedFrom = st.step();
            }
            startStep = trainer.stepsTaken();
            sum = new Gradients(cc);
            part = streams == 1 ? null : new Gradients(cc); // one micro-batch per step: its gradients are the sum
            window = new MetricsWindow(cc.dictSize(), cfg.batch());
        }

        void beginStep() {
            if (part != null) sum.zero();
            stats = new Stats(cc.dictSize());
        }

        /** True once it took all its steps, stopped or failed. */
        boolean done() {
            return failed || stopped != null || trainer.stepsTaken() >= cfg.steps();
        }

        /** This learner's gradients of the micro-batch at {@code from} in {@code rows}, added into {@code sum} (in stream order). */
        void microBatch(float[] rows, int from, int m, boolean normalized) {
            if (failed) return;
            try {
                System.arraycopy(rows, from, batch, 0, m * 2 * cc.activationDim());
                if (!normalized) normalize(batch, m);
                trainer.deadLatents().setCounters(dead.counters());
                LossTerms lt;
                if (part == null) {
                    lt = trainer.computeGradients(batch, m, sum); // writes every entry
                } else {
                    lt = trainer.computeGradients(batch, m, part);
                    sum.add(part);
                }
                stats.add(lt, trainer.lastFired());
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        /**
         * Applies the step's gradients; {@code positions} (of the owned streams) and {@code badRows} (the source's count)
         * are the data's state right after this step's batches, for its checkpoints and logs.
         */
        void finishStep(StreamPosition[] positions, long badRows) throws IOException {
            if (failed) return;
            dataPositions = positions;
            sourceBadRows = badRows;
            try {
                step();
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        /** Alone, an exception fails the run (the caller retries it); in lockstep it stops this learner only. */
        void fail(RuntimeException e) {
            if (learners.size() == 1) throw e;
            failed = true;
            stopped = e.getMessage() == null ? e.toString() : e.getMessage();
            if (progress != null) progress.println(out + ": failed at step " + trainer.stepsTaken() + ": " + stopped + "; the last checkpoint is kept");
        }

        private void step() throws IOException {
            Step s;
            if (cfg.sync().exact()) {
                // every replica's micro-batches, one update for all: gradients and statistics summed across replicas
                awaitReplicas();
                if (comm.size() > 1) sumAll(sum.buffers()); // buffers() writes the zero rows a step leaves unwritten
                sum.scale(1f / streams);
                stats.reduce();
                s = finish(streams, cfg.batch());
            } else {
                // local SGD: this replica's micro-batches only; replicas are averaged every H steps
                sum.scale(1f / owned.size());
                s = finish(owned.size(), cfg.microBatch() * owned.size());
            }
            CrosscoderTrainer.StepResult r = trainer.apply(sum, s.terms());
            if (!cfg.sync().exact()) r = agreeOnDivergence(r); // local steps differ: all replicas stop if one diverged
            if (r.status() == CrosscoderTrainer.Status.DIVERGED) {
                stopped = "training diverged: " + r.detail() + "; the last checkpoint in " + out + " is the last good one";
                return;
            }
            long done = trainer.stepsTaken();
            synchronized (listenerLock) {
                stepListener.run(); // learners may step on several threads; the listener need not be thread-safe
            }
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
                    return;
                }
            }
            if (cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0 && done < cfg.steps()) save(done, false);
            if (done == cfg.steps()) save(done, true);
            if (stepDelayMs > 0) sleep(stepDelayMs);
        }

        /** Dead-latent counters advanced by the step's {@code rows} rows; the step's mean loss terms over {@code parts}. */
        private Step finish(int parts, int rows) {
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

        void normalize(float[] b, int n) {
            if (cc.config().normalization() != null) cc.config().normalization().normalize(b, n);
        }

        /** Every replica contributes its streams' positions; replica 0 writes the checkpoint. */
        private void save(long step, boolean finished) throws IOException {
            float[] pos = new float[3 * streams];
            for (int i = 0; i < owned.size(); i++) {
                StreamPosition p = dataPositions[i];
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
        long badRows(boolean global) {
            float[] b = {sourceBadRows};
            if (global) reduce(b, Op.SUM);
            return badRowsBefore + (long) b[0];
        }

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

        private void logLine(String line) {
            metrics.add(line);
            if (progress != null && comm.rank() == 0) {
                String p = TrainingRun.progressLine(line, cfg.steps());
                progress.println(learners.size() > 1 ? out.getFileName() + ": " + p : p);
            }
        }
    }

    private record Step(LossTerms terms, boolean[] fired) {}

    // ---- replicas agree ----

    private enum Op { SUM, MAX, MIN }

    /**
     * A one-value all-reduce before the gradients': every replica leaves it together, so the time measured here is
     * the wait for the slowest replica and the gradient all-reduce's time is its transfer alone.
     */
    private void awaitReplicas() {
        if (comm.size() == 1) return;
        long t0 = System.nanoTime();
        comm.sum(new float[1]);
        waitNanos += System.nanoTime() - t0;
    }

    private void sumAll(float[][] arrays) {
        if (comm.size() == 1) return;
        long t0 = System.nanoTime();
        comm.sum(arrays);
        commNanos += System.nanoTime() - t0;
    }

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
