package org.dfcspark.jobs.work;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The driver's progress line, printed every few seconds while the items run: items done / total and, per counter
 * of {@link InFlightProgress}, units done / total with the rate in this run and the ETA. Done = the done markers
 * (read once each, on a cluster as locally) plus what running tasks last reported; a failed attempt's work stops
 * counting when the attempt ends. The caller formats the line from a {@link Progress}.
 */
public final class ProgressReporter implements AutoCloseable {
    /** What a done marker counted, one value per counter of the {@link InFlightProgress}. */
    @FunctionalInterface
    public interface MarkerCounts {
        long[] counts(String id, String json) throws IOException;
    }

    /**
     * A snapshot. {@code done[i]} / {@code total[i]} per counter; {@code atStart[i]} was done when this run began,
     * {@code seconds} ago.
     */
    public record Progress(int itemsDone, int itemsTotal, long[] done, long[] total, long[] atStart, double seconds) {
        public double percent(int counter) {
            return total[counter] == 0 ? 100.0 : 100.0 * done[counter] / total[counter];
        }

        /** Units of {@code counter} per second in this run. */
        public double rate(int counter) {
            return (done[counter] - atStart[counter]) / Math.max(seconds, 1e-9);
        }

        /** Time left at this run's rate of {@code counter} ("1h02m", "3m05s", "12s", "unknown"). */
        public String eta(int counter) {
            double r = rate(counter);
            return r > 0 ? duration((total[counter] - done[counter]) / r) : "unknown";
        }
    }

    private final DoneMarkers markers;
    private final MarkerCounts markerCounts;
    private final InFlightProgress inFlight;
    private final int itemsTotal;
    private final long[] totals;
    private final Function<Progress, String> format;
    private volatile boolean closed;
    private final Consumer<String> out;
    private final Map<String, long[]> seen = new HashMap<>(); // marker id -> its counts
    private final long startNanos = System.nanoTime();
    private final long[] atStart;
    private final ScheduledExecutorService timer;

    /**
     * Starts printing a line to {@code out} every {@code seconds}.
     *
     * @param totals one total per counter of {@code inFlight}, in its order
     */
    public ProgressReporter(DoneMarkers markers, MarkerCounts markerCounts, InFlightProgress inFlight, int itemsTotal,
                            long[] totals, double seconds, Function<Progress, String> format, Consumer<String> out) throws IOException {
        this.markers = markers;
        this.markerCounts = markerCounts;
        this.inFlight = inFlight;
        this.itemsTotal = itemsTotal;
        this.totals = totals.clone();
        this.format = format;
        this.out = out;
        this.atStart = poll();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, inFlight.job() + "-progress");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, Math.round(seconds * 1000));
        timer.scheduleAtFixedRate(this::report, period, period, TimeUnit.MILLISECONDS);
    }

    /** The counts of all markers now present; each marker is read once. */
    private synchronized long[] poll() throws IOException {
        for (String id : markers.doneIds()) {
            if (seen.containsKey(id)) continue;
            String json = markers.read(id);
            if (json != null) seen.put(id, markerCounts.counts(id, json));
        }
        long[] sum = new long[totals.length];
        for (long[] v : seen.values()) {
            for (int i = 0; i < sum.length; i++) sum[i] += v[i];
        }
        return sum;
    }

    private void report() {
        try {
            out.accept(line());
        } catch (IOException | RuntimeException e) {
            // close() interrupts a listing in progress: that is the end of the job, not a problem to report
            if (!closed) out.accept(inFlight.job() + ": progress unavailable: " + e.getMessage());
        }
    }

    /** The line now. */
    public String line() throws IOException {
        long[] committed = poll(), running = inFlight.total();
        long[] done = new long[totals.length];
        // An item can be seen both ways for a moment (marker written, task end not yet processed): clamp.
        for (int i = 0; i < done.length; i++) done[i] = Math.min(totals[i], committed[i] + running[i]);
        int items;
        synchronized (this) {
            items = Math.min(itemsTotal, seen.size());
        }
        return format.apply(new Progress(items, itemsTotal, done, totals.clone(), atStart.clone(), (System.nanoTime() - startNanos) / 1e9));
    }

    /** "1h02m", "3m05s" or "12s". */
    public static String duration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
