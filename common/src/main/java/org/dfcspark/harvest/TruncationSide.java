package org.dfcspark.harvest;

import java.util.Locale;

/** Which end of a too-long sequence is cut: {@code RIGHT} keeps the beginning (HF's default), {@code LEFT} the end. */
public enum TruncationSide {
    LEFT, RIGHT;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TruncationSide parse(String s) {
        for (TruncationSide t : values()) if (t.id().equals(s.trim().toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown truncation side '" + s + "' (expected left or right)");
    }
}
