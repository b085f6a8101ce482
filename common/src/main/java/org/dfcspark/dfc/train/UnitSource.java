package org.dfcspark.dfc.train;

import java.io.IOException;

/**
 * Training data cut into units (a Parquet row group of the store, or a fixed run of rows of an in-memory source): the
 * smallest pieces a replica reads. Units are numbered 0..units()-1 in a fixed order; rows come as {@code [A (d) | B
 * (d)]} floats, raw (not normalised).
 */
public interface UnitSource extends AutoCloseable {
    int units();

    /** Activation dimension d of one model. */
    int dim();

    /** The finite rows of unit {@code u}, row after row (rows with NaN/Inf are left out and counted in {@link #badRows()}). */
    float[] load(int u) throws IOException;

    /** Rows left out because they held NaN/Inf, each counted once however often its unit is read. */
    long badRows();

    String describe();

    @Override
    default void close() throws IOException {}
}
