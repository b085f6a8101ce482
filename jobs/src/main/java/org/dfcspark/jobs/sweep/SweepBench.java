package org.dfcspark.jobs.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.train.BlockShuffledStream;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.jobs.train.TrainData;

/**
 * {@code bin/dfc bench sweep}: the same grid trained twice on this master, in lockstep (variants of a task share one
 * read of the store) and with one variant per read (each its own task), each into a fresh directory, after an untimed
 * warm-up of both; prints the wall time and variants per hour of each and their ratio. With several rounds the modes
 * alternate which runs first.
 */
public final class SweepBench {
    private SweepBench() {}

    public record Result(int variants, double lockstepSeconds, double separateSeconds, double readSeconds) {
        double ratio() {
            return separateSeconds / lockstepSeconds;
        }
    }

    /** Steps per variant of the warm-up: more than lockstep reads ahead, so that every path of a run is compiled. */
    static final int WARMUP_STEPS = 40;
    /** Variants of the warm-up (the first of the selection; the grid's first eight cover its variant kinds). */
    static final int WARMUP_VARIANTS = 8;

    /** @param rounds how many times both modes run, in alternating order; times are averaged over the rounds */
    public static Result run(SparkSession spark, SweepGrid grid, Set<String> only, Path work, int rounds, PrintStream out) throws IOException {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        // Both modes on the first few variants for a few steps, untimed: otherwise the first timed run (lockstep) alone pays
        // the JVM's first compilations and Spark's first jobs.
        long w0 = System.nanoTime();
        Set<String> warmOnly = new java.util.LinkedHashSet<>();
        for (var v : SweepJob.select(grid.variants(), only)) if (warmOnly.size() < WARMUP_VARIANTS) warmOnly.add(v.name());
        Map<String, String> shortRun = Map.of("steps", String.valueOf(WARMUP_STEPS), "checkpoint_every", "0", "log_every", String.valueOf(WARMUP_STEPS));
        for (String mode : new String[] {"true", "false"}) {
            Map<String, String> sets = new java.util.HashMap<>(shortRun);
            sets.put("sweep.lockstep", mode);
            SweepJob.run(spark, grid.with(sets), work.resolve("warmup-" + (mode.equals("true") ? "lockstep" : "separate")), warmOnly, false, 60, quiet);
        }
        out.printf(Locale.ROOT, "warm-up (untimed): both modes, %d variants x %d steps, %.1f s%n", warmOnly.size(), WARMUP_STEPS,
                (System.nanoTime() - w0) / 1e9);
        // rounds alternate the order (lockstep first, then separate first, ...), so that a machine whose speed drifts
        // during the command (this project's VM: 2.0-3.4 GHz) does not favour the mode that runs first
        double lockstepSeconds = 0, separateSeconds = 0;
        int variants = 0;
        for (int round = 0; round < rounds; round++) {
            String suffix = rounds == 1 ? "" : "-" + (round + 1);
            SweepJob.Outcome lockstep = null, separate = null;
            for (boolean lockstepMode : round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                SweepJob.Outcome o = SweepJob.run(spark, grid.with(Map.of("sweep.lockstep", String.valueOf(lockstepMode))),
                        work.resolve((lockstepMode ? "lockstep" : "separate") + suffix), only, false, 60, quiet);
                report(out, (rounds == 1 ? "" : "round " + (round + 1) + ", ") + (lockstepMode ? "lockstep (one read per task)" : "one variant per read"), o);
                if (lockstepMode) lockstep = o;
                else separate = o;
            }
            if (rounds > 1) out.printf(Locale.ROOT, "round %d: %.2fx%n", round + 1, separate.seconds() / lockstep.seconds());
            lockstepSeconds += lockstep.seconds();
            separateSeconds += separate.seconds();
            variants = lockstep.variants();
        }
        TrainConfig first = SweepJob.select(grid.variants(), only).get(0).config();
        double read = readSeconds(first);
        Result r = new Result(variants, lockstepSeconds / rounds, separateSeconds / rounds, read);
        out.printf(Locale.ROOT, "lockstep / one variant per read: %.2fx variants per hour (%d variants on %s%s)%n", r.ratio(), r.variants(),
                spark.sparkContext().master(), rounds == 1 ? "" : ", mean times of " + rounds + " rounds");
        int slots = Math.max(1, spark.sparkContext().defaultParallelism());
        out.printf(Locale.ROOT, "where a variant's time goes: store read + decode of its %d x %d rows %.2f s (one thread, the training stream), "
                + "the rest of its task %.2f s (lockstep wall x %d slots / variants); sharing the read can save at most %.0f%% "
                + "(%.2fx from the read alone)%n",
                first.steps(), first.batch(), read, r.lockstepSeconds() * slots / variants, slots,
                100 * read / (read + r.lockstepSeconds() * slots / variants), 1 + read / (r.lockstepSeconds() * slots / variants));
        return r;
    }

    /** Seconds to read and decode one variant's training rows (steps × batch) through its training stream, one thread. */
    static double readSeconds(TrainConfig c) throws IOException {
        TrainData data = TrainData.of(c);
        try (UnitSource source = data.open()) {
            BlockShuffledStream stream = new BlockShuffledStream(source, BlockShuffledStream.unitsOf(source.units(), 1, 0), c.shuffleBlock(), c.seed(), 0);
            float[] batch = new float[c.batch() * 2 * data.dim()];
            long t0 = System.nanoTime();
            for (int i = 0; i < c.steps(); i++) stream.next(batch, 0, c.batch());
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static void report(PrintStream out, String what, SweepJob.Outcome o) {
        if (o.finished() != o.variants()) throw new IllegalStateException(what + ": only " + o.finished() + " of " + o.variants() + " variants finished");
        out.printf(Locale.ROOT, "%-39s %3d variants in %7.1f s: %6.0f variants/hour%n", what, o.variants(), o.seconds(), o.variants() * 3600 / o.seconds());
    }
}
