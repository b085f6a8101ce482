package org.dfcspark.dfc.train;

import java.io.Serializable;

/** Where a {@link BlockShuffledStream} stands: the next row is row {@code offset} of block {@code block} of {@code epoch}. */
public record StreamPosition(long epoch, int block, int offset) implements Serializable {
    public static final StreamPosition START = new StreamPosition(0, 0, 0);
}
