package org.dfcspark.jobs.sweep;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;

/**
 * The driver's progress line while a sweep's tasks run: variants done / total, training steps per second summed over
 * the variants, and the ETA from the steps left. It reads what the tasks publish on the shared output directory: done
 * markers and each running variant's last checkpoint step (so the count moves at checkpoint cadence).
 */
final class SweepProgress implements AutoCloseable {
    private final Path out;
    private final List<SweepGroup.Member> running;
    private final Map<String, TrainConfig> configs;
    private final int total;
    private final int doneBefore;
    private final long stepsAtStart;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService timer;

    SweepProgress(Path out, List<SweepGroup.Member> running, Map<String, TrainConfig> configs, int total, int doneBefore, double seconds,
                  PrintStream log) {
        this.out = out;
        this.running = running;
        this.configs = configs;
        this.total = total;
        this.doneBefore = doneBefore;
        this.stepsAtStart = stepsDone();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sweep-progress");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, Math.round(seconds * 1000));
        timer.scheduleAtFixedRate(() -> log.println(line()), period, period, TimeUnit.MILLISECONDS);
    }

    private long stepsDone() {
        long steps = 0;
        for (SweepGroup.Member m : running) {
            if (Files.exists(SweepMarkers.done(out, m.id()))) steps += configs.get(m.id()).steps();
            else steps += lastStep(Path.of(m.dir()));
        }
        return steps;
    }

    private static long lastStep(Path dir) {
        try {
            return TrainState.exists(dir) ? TrainState.read(dir).step() : 0;
        } catch (Exception e) { // a checkpoint being swapped in: counted at the next line
            return 0;
        }
    }

    String line() {
        int done = doneBefore;
        long totalSteps = 0;
        for (SweepGroup.Member m : running) {
            totalSteps += configs.get(m.id()).steps();
            if (Files.exists(SweepMarkers.done(out, m.id()))) done++;
        }
        long steps = stepsDone();
        double seconds = (System.nanoTime() - startNanos) / 1e9, rate = (steps - stepsAtStart) / Math.max(seconds, 1e-9);
        String eta = rate > 0 ? SweepJob.duration((totalSteps - steps) / rate) : "unknown";
        return String.format(Locale.ROOT, "sweep: %d/%d variants done, %.1f steps/s, ETA %s", done, total, rate, eta);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
