package org.dfcspark.jobs.work;

import java.io.Serializable;
import java.util.Map;
import org.apache.spark.util.LongAccumulator;

/**
 * The task side of {@link InFlightProgress}: named counters ("prompts", "tokens") that a running task adds to
 * as it goes; serialisable with the task.
 */
public final class TaskProgress implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, LongAccumulator> counters;

    TaskProgress(Map<String, LongAccumulator> counters) {
        this.counters = Map.copyOf(counters);
    }

    public void add(String counter, long n) {
        LongAccumulator a = counters.get(counter);
        if (a == null) throw new IllegalArgumentException("no progress counter '" + counter + "'; the job counts " + counters.keySet());
        a.add(n);
    }
}
