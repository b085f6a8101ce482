package org.dfcspark.harvest;

import java.util.Locale;

/**
 * Which token positions of a sequence are harvested.
 * <ul>
 *   <li>{@code LAST}: the last prompt token that is not excluded (the paper's choice: one vector per text);</li>
 *   <li>{@code ALL}: every prompt token that is not excluded;</li>
 *   <li>{@code ASSISTANT}: the tokens of the gold assistant turn, teacher-forced after the prompt.</li>
 * </ul>
 */
public enum PositionMode {
    LAST, ALL, ASSISTANT;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PositionMode parse(String s) {
        for (PositionMode m : values()) if (m.id().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown positions mode '" + s + "' (expected last, all or assistant)");
    }
}
