package org.dfcspark.dfc.train;

import java.io.Serializable;

/**
 * How data-parallel replicas stay together. {@code every-step}: gradients are summed across replicas every step and
 * every replica applies the same update (exact: the same parameters as one process on the same global batches).
 * {@code every:H}: each replica takes H steps on its own share of the data, then parameters and Adam moments are
 * averaged (local SGD; H times less communication, at a cost in quality measured in docs/PERFORMANCE.md).
 */
public record SyncMode(int every) implements Serializable {
    public static final SyncMode EVERY_STEP = new SyncMode(1);

    public SyncMode {
        if (every < 1) throw new IllegalArgumentException("sync interval must be >= 1, got " + every);
    }

    public static SyncMode parse(String s) {
        if (s.equals("every-step")) return EVERY_STEP;
        if (s.startsWith("every:")) {
            try {
                return new SyncMode(Integer.parseInt(s.substring("every:".length())));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("sync must be every-step or every:H (H a positive integer), got '" + s + "'");
    }

    public boolean exact() {
        return every == 1;
    }

    public String id() {
        return exact() ? "every-step" : "every:" + every;
    }
}
