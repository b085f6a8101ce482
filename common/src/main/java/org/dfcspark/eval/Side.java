package org.dfcspark.eval;

/** One of the two models of a crosscoder: A (the fine-tuned model, crosscoder slot 0) or B (its base, slot 1). */
public enum Side {
    A, B;

    /** The crosscoder's model index (0 for A, 1 for B). */
    public int index() {
        return ordinal();
    }

    public Side other() {
        return this == A ? B : A;
    }

    public static Side parse(String s) {
        return switch (s == null ? "" : s) {
            case "A", "a" -> A;
            case "B", "b" -> B;
            default -> throw new IllegalArgumentException("model must be A or B, got '" + s + "'");
        };
    }
}
