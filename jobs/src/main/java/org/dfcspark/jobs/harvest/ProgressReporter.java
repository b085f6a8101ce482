package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The driver's progress line, printed every few seconds while shards run: prompts done / total, tokens per
 * second in this run, and the ETA from the tokens left. Done = the committed shards (their done markers, on a
 * cluster as locally) plus what running shard tasks last reported ({@link InFlightProgress}); a failed attempt's
 * work stops counting when the attempt ends.
 */
final class ProgressReporter implements AutoCloseable {
    private final StoreLayout layout;
    private final Configuration conf;
    private final long totalPrompts;
    private final long totalTokens;
    private final Supplier<long[]> inFlight;
    private final Consumer<String> out;
    private final Map<String, long[]> seen = new HashMap<>(); // marker name -> {prompts, tokens}
    private final long startNanos = System.nanoTime();
    private final long baselineTokens;
    private final ScheduledExecutorService timer;

    ProgressReporter(StoreLayout layout, Configuration conf, long totalPrompts, long totalTokens, Supplier<long[]> inFlight,
                     double seconds, Consumer<String> out) throws IOException {
        this.layout = layout;
        this.conf = conf;
        this.totalPrompts = totalPrompts;
        this.totalTokens = totalTokens;
        this.inFlight = inFlight;
        this.out = out;
        this.baselineTokens = poll()[1];
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "harvest-progress");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, Math.round(seconds * 1000));
        timer.scheduleAtFixedRate(this::report, period, period, TimeUnit.MILLISECONDS);
    }

    /** {prompts, tokens} of all markers now present. */
    private synchronized long[] poll() throws IOException {
        for (Path p : StoreFs.list(layout.doneDir(), conf)) {
            String name = p.getName();
            if (!name.endsWith(".json") || seen.containsKey(name)) continue;
            ShardSummary s = ShardSummary.fromJson(StoreFs.read(p, conf), p.toString());
            seen.put(name, new long[] {s.counts().prompts, s.counts().tokens});
        }
        long[] sum = new long[2];
        for (long[] v : seen.values()) {
            sum[0] += v[0];
            sum[1] += v[1];
        }
        return sum;
    }

    private void report() {
        try {
            out.accept(line());
        } catch (IOException | RuntimeException e) {
            out.accept("harvest: progress unavailable: " + e.getMessage());
        }
    }

    String line() throws IOException {
        long[] committed = poll(), running = inFlight.get();
        // A shard can be seen both ways for a moment (marker written, task end not yet processed): clamp.
        long[] done = {Math.min(totalPrompts, committed[0] + running[0]), Math.min(totalTokens, committed[1] + running[1])};
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = (done[1] - baselineTokens) / Math.max(seconds, 1e-9);
        String eta = rate > 0 ? duration((totalTokens - done[1]) / rate) : "unknown";
        return String.format("harvest: %d/%d prompts (%.1f%%), %.0f tok/s, ETA %s",
                done[0], totalPrompts, totalPrompts == 0 ? 100.0 : 100.0 * done[0] / totalPrompts, rate, eta);
    }

    static String duration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
