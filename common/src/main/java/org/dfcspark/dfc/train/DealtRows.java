package org.dfcspark.dfc.train;

import java.util.Map;

/**
 * Rows in memory that were already dealt to data streams (by whoever holds them, e.g. a Spark partition), as units:
 * each stream's rows are cut into the same number of units, and unit {@code u} is piece {@code u / S} of stream
 * {@code u mod S} — the round-robin dealing of {@link BlockShuffledStream#unitsOf}, so stream s reads exactly its own
 * rows. A replica holds only the streams it owns; loading another stream's unit is a bug and fails.
 */
public final class DealtRows implements UnitSource {
    private final int streams;
    private final int unitsPerStream;
    private final int d;
    private final Map<Integer, float[]> rowsByStream;
    private final String name;

    /**
     * @param rowsByStream the rows ({@code [A | B]}, 2d floats each, all finite) of the streams held here
     * @param unitsPerStream the same for every stream and every replica (the unit numbering depends on it)
     */
    public DealtRows(int streams, int unitsPerStream, int d, Map<Integer, float[]> rowsByStream, String name) {
        if (unitsPerStream < 1) throw new IllegalArgumentException("unitsPerStream must be >= 1, got " + unitsPerStream);
        for (var e : rowsByStream.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= streams) throw new IllegalArgumentException(name + ": stream " + e.getKey() + " of " + streams);
            if (e.getValue().length % (2 * d) != 0) throw new IllegalArgumentException(name + ": stream " + e.getKey() + " is not whole rows of 2×" + d);
        }
        this.streams = streams;
        this.unitsPerStream = unitsPerStream;
        this.d = d;
        this.rowsByStream = Map.copyOf(rowsByStream);
        this.name = name;
    }

    @Override
    public int units() {
        return streams * unitsPerStream;
    }

    @Override
    public int dim() {
        return d;
    }

    @Override
    public float[] load(int u) {
        int stream = u % streams, piece = u / streams, w = 2 * d;
        float[] rows = rowsByStream.get(stream);
        if (rows == null) throw new IllegalStateException(name + ": unit " + u + " belongs to stream " + stream + ", which is not held here");
        long n = rows.length / w;
        int from = (int) (piece * n / unitsPerStream), to = (int) ((piece + 1) * n / unitsPerStream);
        return java.util.Arrays.copyOfRange(rows, from * w, to * w);
    }

    @Override
    public long badRows() {
        return 0;
    }

    @Override
    public String describe() {
        return name;
    }
}
