package org.dfcspark.dfc;

import java.io.IOException;

/**
 * Paired activations, one row per sample: {@code (N, 2, d)} flattened as rows of 2d floats {@code [A (d) | B (d)]}.
 * Implementations are read-only and may be shared by threads.
 */
public interface ActivationSource {
    /** Number of rows N. */
    int rows();

    /** Activation dimension d of one model. */
    int dim();

    /** Copies rows {@code rowIds[0..count)} into {@code out} (count × 2d floats, row after row). */
    void read(int[] rowIds, int count, float[] out) throws IOException;

    /** Copies {@code count} consecutive rows starting at {@code start}. */
    default void readRange(int start, int count, float[] out) throws IOException {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = start + i;
        read(ids, count, out);
    }

    /** Where the rows come from, for messages and provenance. */
    String describe();
}
