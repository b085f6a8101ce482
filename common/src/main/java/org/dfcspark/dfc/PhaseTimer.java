package org.dfcspark.dfc;

import java.util.LinkedHashMap;
import java.util.Map;

/** Cumulative wall time per named phase of a sequence of calls (single-threaded use). */
public final class PhaseTimer {
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private long mark = System.nanoTime();

    /** Starts timing the next phase. */
    public void start() {
        mark = System.nanoTime();
    }

    /** Ends the current phase, charging its time to {@code phase}, and starts the next. */
    public void stop(String phase) {
        long now = System.nanoTime();
        nanos.merge(phase, now - mark, Long::sum);
        mark = now;
    }

    /** Milliseconds per phase, in first-seen order. */
    public Map<String, Double> millis() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v / 1e6));
        return out;
    }

    public void reset() {
        nanos.clear();
        mark = System.nanoTime();
    }
}
