package org.dfcspark.eval;

import org.dfcspark.model.Phase;
import org.dfcspark.model.Positions;

/** Where a condition edits model m's residual. */
public enum EditPositions {
    /** The last prompt token, in the prompt forward only (the paper's protocol). */
    LAST("last"),
    /** Every prompt token, in the prompt forward only. */
    PROMPT("prompt"),
    /** Every prompt token and every generated token. */
    EVERY_STEP("every-step");

    private final String id;

    EditPositions(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The runtime's selector for these positions. */
    public Positions positions() {
        return this == LAST ? Positions.lastPrompt() : Positions.all();
    }

    public Phase phase() {
        return this == EVERY_STEP ? Phase.EVERY_STEP : Phase.PREFILL;
    }

    /** Whether the edit touches position {@code position} of a prompt of {@code promptLength} tokens. */
    public boolean touches(boolean promptStep, int position, int promptLength) {
        return switch (this) {
            case LAST -> promptStep && position == promptLength - 1;
            case PROMPT -> promptStep;
            case EVERY_STEP -> true;
        };
    }

    public static EditPositions parse(String s) {
        for (EditPositions p : values()) if (p.id.equals(s)) return p;
        throw new IllegalArgumentException("positions must be last, prompt or every-step, got '" + s + "'");
    }
}
