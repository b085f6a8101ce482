package org.dfcspark.model;

import java.util.Arrays;

/**
 * Which token positions an intervention touches, independent of padding: positions are counted in each
 * row's own tokens.
 *
 * <ul>
 *   <li>{@link #all()}: every real (non-pad) prompt position in the prompt forward and the new token of every
 *       decode step;</li>
 *   <li>{@link #lastPrompt()}: the last prompt token (prompt forward only);</li>
 *   <li>{@link #indices(int...)}: prompt positions by index, negative from the end (-1 = last prompt token);
 *       prompt forward only;</li>
 *   <li>{@link #generated()}: the new token of every decode step (never the prompt).</li>
 * </ul>
 */
public sealed interface Positions {
    record All() implements Positions {}

    record LastPrompt() implements Positions {}

    record Generated() implements Positions {}

    record Indices(int[] values) implements Positions {
        public Indices {
            if (values.length == 0) throw new IllegalArgumentException("Positions.indices needs at least one index");
            values = values.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Indices i && Arrays.equals(i.values, values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Indices" + Arrays.toString(values);
        }
    }

    static Positions all() {
        return new All();
    }

    static Positions lastPrompt() {
        return new LastPrompt();
    }

    static Positions generated() {
        return new Generated();
    }

    static Positions indices(int... values) {
        return new Indices(values);
    }

    /**
     * The selected columns of a {@code (rows, width)} step for each row, or null for a row with none.
     *
     * @param promptStep true for the prompt forward (columns are padded prompt positions), false for a decode
     *                   step (width 1: the new token)
     * @param promptLengths real prompt length of each row; a row is left-padded by {@code width - length}
     */
    default int[][] select(boolean promptStep, int width, int[] promptLengths) {
        int rows = promptLengths.length;
        int[][] out = new int[rows][];
        for (int b = 0; b < rows; b++) {
            int pad = width - promptLengths[b];
            if (this instanceof All) {
                out[b] = promptStep ? range(pad, width) : new int[] {0};
            } else if (this instanceof Generated) {
                out[b] = promptStep ? null : new int[] {0};
            } else if (!promptStep) {
                out[b] = null;
            } else if (this instanceof LastPrompt) {
                out[b] = new int[] {width - 1};
            } else {
                int[] idx = ((Indices) this).values();
                out[b] = new int[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    int p = idx[i] < 0 ? promptLengths[b] + idx[i] : idx[i];
                    if (p < 0 || p >= promptLengths[b]) {
                        throw new IllegalArgumentException("position index " + idx[i] + " is outside row " + b
                                + " (prompt length " + promptLengths[b] + ")");
                    }
                    out[b][i] = pad + p;
                }
            }
        }
        return out;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
