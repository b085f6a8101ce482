package org.dfcspark.model;

import java.util.Arrays;

/**
 * An edit or a read at a {@link HookPoint}, as a value (TransformerLens style): pass a list of them to
 * {@link Qwen2Model#forward} or {@link Generator#generate}. Interventions at the same hook point apply in list
 * order, so a capture listed after an edit sees the edited value.
 */
public sealed interface Intervention {
    HookPoint hook();

    Positions positions();

    /** Records the activation at {@code positions} (see {@link ForwardResult#captured}). */
    record Capture(HookPoint hook, Positions positions) implements Intervention {}

    /** {@code h[pos] += scale * vector}. */
    record Add(HookPoint hook, float[] vector, double scale, Positions positions, Phase phase) implements Intervention {
        public Add {
            vector = vector.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Add a && a.hook.equals(hook) && Arrays.equals(a.vector, vector) && a.scale == scale
                    && a.positions.equals(positions) && a.phase == phase;
        }

        @Override
        public int hashCode() {
            return hook.hashCode() * 31 + Arrays.hashCode(vector);
        }

        @Override
        public String toString() {
            return "Add[" + hook + ", |v|=" + vector.length + ", scale=" + scale + ", " + positions + ", " + phase + "]";
        }
    }

    /** {@code h[row, pos] = perRow[row]} (a single row applies to every row of the batch). */
    record Replace(HookPoint hook, float[][] perRow, Positions positions, Phase phase) implements Intervention {
        public Replace {
            if (perRow.length == 0) throw new IllegalArgumentException("Intervention.replace needs at least one vector");
            perRow = Arrays.stream(perRow).map(float[]::clone).toArray(float[][]::new);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Replace r && r.hook.equals(hook) && Arrays.deepEquals(r.perRow, perRow)
                    && r.positions.equals(positions) && r.phase == phase;
        }

        @Override
        public int hashCode() {
            return hook.hashCode() * 31 + Arrays.deepHashCode(perRow);
        }

        @Override
        public String toString() {
            return "Replace[" + hook + ", rows=" + perRow.length + ", " + positions + ", " + phase + "]";
        }
    }

    /**
     * {@code h[row, pos] = rewrite(h[row, pos])}, computed on the fly from the residual at the selected positions
     * (one call per forward step with all of them); for edits that depend on the activation (reconstructions,
     * feature-dependent steering).
     */
    record Rewrite(HookPoint hook, Positions positions, Phase phase, ResidualRewrite rewrite) implements Intervention {}

    static Intervention capture(HookPoint hook, Positions positions) {
        return new Capture(hook, positions);
    }

    static Intervention add(HookPoint hook, float[] vector, double scale, Positions positions, Phase phase) {
        return new Add(hook, vector, scale, positions, phase);
    }

    static Intervention replace(HookPoint hook, float[][] perRow, Positions positions, Phase phase) {
        return new Replace(hook, perRow, positions, phase);
    }

    /** Whether an edit is active in this step (captures follow their positions only). */
    default boolean activeIn(boolean promptStep) {
        Phase p = this instanceof Add a ? a.phase() : this instanceof Replace r ? r.phase()
                : this instanceof Rewrite w ? w.phase() : Phase.EVERY_STEP;
        return promptStep || p == Phase.EVERY_STEP;
    }
}
