package org.dfcspark.harvest;

import java.util.Locale;

/** What happens to a high-norm "sink" position: dropped from the store, or kept with {@code sink = true}. */
public enum SinkPolicy {
    DROP, FLAG;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SinkPolicy parse(String s) {
        for (SinkPolicy p : values()) if (p.id().equals(s.trim().toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("unknown sink policy '" + s + "' (expected drop or flag)");
    }
}
