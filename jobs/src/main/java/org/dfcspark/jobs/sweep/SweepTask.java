package org.dfcspark.jobs.sweep;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.dfcspark.dfc.sweep.VariantMetrics;
import org.dfcspark.dfc.train.AllReduce;
import org.dfcspark.dfc.train.ReplicaTrainer;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.io.AtomicOutput;
import org.dfcspark.jobs.harvest.ExecutorRuntime;

/**
 * Trains one {@link SweepGroup} inside a Spark task, exactly once per variant: a variant with a done marker is
 * skipped; one whose final checkpoint exists only gets its metrics and marker; the others resume from their last
 * checkpoints, those at the same step trained in lockstep on one read of the store. Each finished variant is measured
 * ({@link VariantMetrics}, on the first {@code eval_rows} rows of the store in unit order, the same rows for every
 * variant) and marked done. A variant that diverges is marked done with status {@code diverged}; one that throws gets
 * a failure record and is retried by the next run; neither stops the others.
 */
final class SweepTask {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVAL_BATCH = 512;

    private SweepTask() {}

    /** Returns the group's variants' markers (done or failed) as JSON. */
    static List<String> run(SweepGroup g, String outDir, int evalRows, int threads) throws IOException {
        Path out = Path.of(outDir);
        ai.djl.engine.Engine.getEngine("PyTorch"); // libtorch loaded before its thread count is set
        ExecutorRuntime.configure(ExecutorRuntime.device(TaskContext.get()), threads);
        List<String> markers = new ArrayList<>();
        Map<Long, List<SweepGroup.Member>> byStep = new TreeMap<>();
        List<SweepGroup.Member> toMeasure = new ArrayList<>();
        for (SweepGroup.Member m : g.members()) {
            JsonNode done = SweepMarkers.read(SweepMarkers.done(out, m.id()));
            if (done != null) {
                markers.add(done.toString());
                continue;
            }
            Path dir = Path.of(m.dir());
            AtomicOutput.cleanStale(dir); // a killed attempt's half-written checkpoint
            TrainState st = TrainState.exists(dir) ? TrainState.read(dir) : null;
            if (st != null && st.finished()) toMeasure.add(m);
            else byStep.computeIfAbsent(st == null ? 0L : st.step(), k -> new ArrayList<>()).add(m);
        }
        if (byStep.isEmpty() && toMeasure.isEmpty()) return markers;
        try (UnitSource source = g.data().open()) {
            ArrayActivations eval = evalRows(source, evalRows);
            for (SweepGroup.Member m : toMeasure) markers.add(afterTraining(out, m, null, TrainState.read(Path.of(m.dir())).step(), 0, 0, eval, threads));
            for (List<SweepGroup.Member> members : byStep.values()) {
                List<ReplicaTrainer.Job> jobs = new ArrayList<>();
                for (SweepGroup.Member m : members) {
                    TrainConfig cfg = TrainConfig.fromJson(m.trainConfig(), m.name());
                    jobs.add(new ReplicaTrainer.Job(cfg, CrosscoderConfig.fromJson(m.crosscoderConfig(), m.name()), Path.of(m.dir()),
                            injectFailureOnce(cfg, out, m.id())));
                }
                long t0 = System.nanoTime();
                List<ReplicaTrainer.Result> results = new ReplicaTrainer(jobs, source, AllReduce.single(), null, threads).runAll();
                double wall = (System.nanoTime() - t0) / 1e9;
                for (int i = 0; i < members.size(); i++) {
                    SweepGroup.Member m = members.get(i);
                    ReplicaTrainer.Result r = results.get(i);
                    markers.add(r.failed() ? failed(out, m, r)
                            : afterTraining(out, m, r.stopped(), r.steps(), r.rowsPerSecond(), wall, eval, threads));
                }
            }
        }
        return markers;
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
     * Marks a variant done after its training: {@code finished}, or {@code diverged} when it stopped early (then
     * measured on its last good checkpoint, if it has one).
     */
    static String afterTraining(Path out, SweepGroup.Member m, String stopped, long steps, double rowsPerSecond, double wall,
                                ArrayActivations eval, int threads) throws IOException {
        ObjectNode n = base(m, stopped == null ? "finished" : "diverged", stopped, steps, rowsPerSecond, wall);
        if (TrainState.exists(Path.of(m.dir()))) metrics(n, m, eval, threads);
        return mark(out, m, n);
    }

    private static String failed(Path out, SweepGroup.Member m, ReplicaTrainer.Result r) throws IOException {
        ObjectNode n = base(m, "failed", r.stopped(), r.steps(), r.rowsPerSecond(), 0);
        SweepMarkers.write(SweepMarkers.failed(out, m.id()), n);
        return n.toString();
    }

    private static String mark(Path out, SweepGroup.Member m, ObjectNode n) throws IOException {
        SweepMarkers.write(SweepMarkers.done(out, m.id()), n);
        Files.deleteIfExists(SweepMarkers.failed(out, m.id()));
        return n.toString();
    }

    private static ObjectNode base(SweepGroup.Member m, String status, String reason, long steps, double rowsPerSecond, double wall) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", m.id()).put("name", m.name()).put("status", status).put("reason", reason).put("steps", steps)
                .put("rows_per_s", rowsPerSecond).put("wall_s", wall).put("checkpoint", m.dir());
        return n;
    }

    private static void metrics(ObjectNode n, SweepGroup.Member m, ArrayActivations eval, int threads) throws IOException {
        VariantMetrics v = VariantMetrics.measure(Checkpoint.load(Path.of(m.dir())), eval, EVAL_BATCH, threads);
        ObjectNode j = n.putObject("metrics");
        j.put("eval_rows", v.rows()).put("fvu_a", v.fvuA()).put("fvu_b", v.fvuB()).put("l0", v.l0()).put("dead_share", v.deadShare())
                .put("max_forbidden", v.maxForbidden()).put("exclusive_ok", v.exclusiveOk()).put("diff_norm", v.diffNorm());
        v.shares().forEach((part, share) -> j.put("share_" + SweepSummary.column(part), share));
    }

    /** Tests: a variant whose config sets testing_fail_at_step fails once per sweep output (a marker remembers it did). */
    private static boolean injectFailureOnce(TrainConfig cfg, Path out, String id) throws IOException {
        if (cfg.testingFailAtStep() < 0) return false;
        Path marker = out.resolve("_sweep").resolve("injected-failures").resolve(id);
        if (Files.exists(marker)) return false;
        Files.createDirectories(marker.getParent());
        Files.writeString(marker, "failed once at step " + cfg.testingFailAtStep() + "\n");
        return true;
    }
}
