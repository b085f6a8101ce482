package org.dfcspark.jobs.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.TaskContext;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.ParallelItems;
import org.dfcspark.dfc.sweep.VariantMetrics;
import org.dfcspark.dfc.train.AllReduce;
import org.dfcspark.dfc.train.ReplicaTrainer;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.io.AtomicOutput;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.train.TrainData;
import org.dfcspark.jobs.work.DoneMarkers;
import org.dfcspark.jobs.work.PackTask;
import org.dfcspark.jobs.work.TaskProgress;
import org.dfcspark.testing.InjectedFaults;

/**
 * Trains a pack of variants (one hook) inside a Spark task, exactly once per variant ({@link
 * org.dfcspark.jobs.work.WorkQueue#runPacked} skips those with a done marker and writes the markers this returns): a
 * variant whose final checkpoint exists only gets its metrics; the others resume from their last
 * checkpoints, those at the same step trained in lockstep on one read of the store. Each finished variant is measured
 * ({@link VariantMetrics}, on the first {@code eval_rows} rows of the store in unit order, the same rows for every
 * variant). A variant that diverges is done with status {@code diverged}; one that throws gets a failure record and no
 * done marker, so the next run retries it from its last checkpoint; neither stops the others.
 */
final class SweepTask implements PackTask<SweepVariant> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVAL_BATCH = 512;

    private final Map<String, TrainData> data;
    private final DoneMarkers failures;
    private final String out;
    private final int evalRows;
    private final int threads;
    private final InjectedFaults faults = InjectedFaults.fromSystemProperties(); // read on the driver, where the task is made

    /**
     * @param data     each hook's data (the variants of a task share one hook)
     * @param failures where a variant that threw gets its record ({@code OUT/_sweep/failed/})
     */
    SweepTask(Map<String, TrainData> data, DoneMarkers failures, Path out, int evalRows, int threads) {
        this.data = new java.util.HashMap<>(data);
        this.failures = failures;
        this.out = out.toString();
        this.evalRows = evalRows;
        this.threads = threads;
    }

    /** Trains the variants (all at one hook, not done yet); returns their done markers, null for those that failed. */
    @Override
    public List<String> run(List<SweepVariant> variants, TaskProgress progress) throws IOException {
        ai.djl.engine.Engine.getEngine("PyTorch"); // libtorch loaded before its thread count is set
        // libtorch's threads (where it runs the encoder) are those of one learner: lockstep learners step side by side
        ExecutorRuntime.configure(ExecutorRuntime.device(TaskContext.get()), ReplicaTrainer.stepThreads(variants.size(), threads));
        Map<String, String> markers = new java.util.HashMap<>();
        Map<Long, List<SweepVariant>> byStep = new TreeMap<>();
        List<SweepVariant> toMeasure = new ArrayList<>();
        for (SweepVariant m : variants) {
            Path dir = Path.of(m.dir());
            AtomicOutput.cleanStale(dir); // a killed attempt's half-written checkpoint
            TrainState st = TrainState.exists(dir) ? TrainState.read(dir) : null;
            if (st != null && st.finished()) toMeasure.add(m);
            else byStep.computeIfAbsent(st == null ? 0L : st.step(), k -> new ArrayList<>()).add(m);
        }
        String hook = variants.get(0).hook();
        try (UnitSource source = data.get(hook).open()) {
            ArrayActivations eval = evalRows(source, evalRows);
            // variants are measured side by side, as lockstep learners train (each on the threads it is left)
            String[] measured = new String[toMeasure.size()];
            int eachMeasured = ReplicaTrainer.stepThreads(toMeasure.size(), threads);
            ParallelItems.forEach(toMeasure.size(), threads, i -> measured[i] = afterTraining(toMeasure.get(i), null,
                    TrainState.read(Path.of(toMeasure.get(i).dir())).step(), 0, 0, eval, eachMeasured));
            for (int i = 0; i < measured.length; i++) markers.put(toMeasure.get(i).id(), measured[i]);
            for (List<SweepVariant> members : byStep.values()) {
                List<ReplicaTrainer.Job> jobs = new ArrayList<>();
                for (SweepVariant m : members) {
                    TrainConfig cfg = TrainConfig.fromJson(m.trainConfig(), m.name());
                    jobs.add(new ReplicaTrainer.Job(cfg, CrosscoderConfig.fromJson(m.crosscoderConfig(), m.name()), Path.of(m.dir()),
                            injectFailureOnce(m) ? faults.trainFailAtStep() : -1));
                }
                long t0 = System.nanoTime();
                List<ReplicaTrainer.Result> results = new ReplicaTrainer(jobs, source, AllReduce.single(), null, threads)
                        .onEveryStep(() -> progress.add("steps", 1)).slowedBy(faults.trainStepDelayMs()).runAll();
                double wall = (System.nanoTime() - t0) / 1e9;
                String[] done = new String[members.size()];
                int each = ReplicaTrainer.stepThreads(members.size(), threads);
                ParallelItems.forEach(members.size(), threads, i -> {
                    ReplicaTrainer.Result r = results.get(i);
                    if (!r.failed()) done[i] = afterTraining(members.get(i), r.stopped(), r.steps(), r.rowsPerSecond(), wall, eval, each);
                });
                for (int i = 0; i < members.size(); i++) {
                    SweepVariant m = members.get(i);
                    ReplicaTrainer.Result r = results.get(i);
                    if (r.failed()) failures.markDone(m.id(), base(m, "failed", r.stopped(), r.steps(), r.rowsPerSecond(), wall).toString());
                    else markers.put(m.id(), done[i]);
                }
            }
        }
        List<String> results = new ArrayList<>();
        for (SweepVariant m : variants) results.add(markers.get(m.id()));
        return results;
    }

    /** The first {@code rows} finite rows of the store, in unit order (fewer when the store is smaller). */
    static ArrayActivations evalRows(UnitSource source, int rows) throws IOException {
        int w = 2 * source.dim();
        float[] buf = new float[rows * w];
        int n = 0;
        for (int u = 0; u < source.units() && n < rows; u++) {
            float[] unit = source.load(u);
            int take = Math.min(rows - n, unit.length / w);
            System.arraycopy(unit, 0, buf, n * w, take * w);
            n += take;
        }
        return new ArrayActivations(java.util.Arrays.copyOf(buf, n * w), n, source.dim(), source.describe() + " (first " + n + " rows)");
    }

    /**
     * A variant's done marker after its training: {@code finished}, or {@code diverged} when it stopped early (then
     * measured on its last good checkpoint, if it has one).
     */
    static String afterTraining(SweepVariant m, String stopped, long steps, double rowsPerSecond, double wall, ArrayActivations eval,
                                int threads) throws IOException {
        ObjectNode n = base(m, stopped == null ? "finished" : "diverged", stopped, steps, rowsPerSecond, wall);
        if (TrainState.exists(Path.of(m.dir()))) metrics(n, m, eval, threads);
        return n.toString();
    }

    private static ObjectNode base(SweepVariant m, String status, String reason, long steps, double rowsPerSecond, double wall) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", m.id()).put("name", m.name()).put("status", status).put("reason", reason).put("steps", steps)
                .put("rows_per_s", rowsPerSecond).put("wall_s", wall).put("checkpoint", m.dir());
        return n;
    }

    private static void metrics(ObjectNode n, SweepVariant m, ArrayActivations eval, int threads) throws IOException {
        VariantMetrics v = VariantMetrics.measure(Checkpoint.load(Path.of(m.dir())), eval, EVAL_BATCH, threads);
        ObjectNode j = n.putObject("metrics");
        j.put("eval_rows", v.rows()).put("fvu_a", v.fvuA()).put("fvu_b", v.fvuB()).put("l0", v.l0()).put("dead_share", v.deadShare())
                .put("max_forbidden", v.maxForbidden()).put("exclusive_ok", v.exclusiveOk()).put("diff_norm", v.diffNorm());
        v.shares().forEach((part, share) -> j.put("share_" + SweepSummary.column(part), share));
    }

    /** Tests: the variant train.fail-only names fails once per sweep output at train.fail-at-step (a marker remembers it did). */
    private boolean injectFailureOnce(SweepVariant m) throws IOException {
        if (!faults.failsTraining(m.name())) return false;
        Path marker = Path.of(out).resolve("_sweep").resolve("injected-failures").resolve(m.id());
        if (Files.exists(marker)) return false;
        Files.createDirectories(marker.getParent());
        Files.writeString(marker, "failed once at step " + faults.trainFailAtStep() + "\n");
        return true;
    }
}
