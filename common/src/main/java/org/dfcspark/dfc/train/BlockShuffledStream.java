package org.dfcspark.dfc.train;

import java.io.IOException;
import java.util.SplittableRandom;

/**
 * One data sub-stream: its units (row groups) in a seeded order per epoch, read {@code blockUnits} at a time, the rows of
 * each block in a seeded order. A block is the shuffle buffer: only one block is in memory at a time. The order depends
 * only on (seed, stream index, epoch, block), so a position ({@link StreamPosition}) is enough to resume exactly:
 * {@link #seek} reloads that block and skips to the row.
 */
public final class BlockShuffledStream {
    private final UnitSource source;
    private final int[] units;
    private final int blockUnits;
    private final long seed;
    private final int stream;
    private final int w;

    private long epoch = -1;
    private int[] epochOrder;
    private int block;
    private float[] rows;
    private int[] rowOrder;
    private int offset;

    /**
     * @param units      the units this stream owns (at least one)
     * @param blockUnits units shuffled together
     * @param stream     this stream's index (part of the seed)
     */
    public BlockShuffledStream(UnitSource source, int[] units, int blockUnits, long seed, int stream) {
        if (units.length == 0) throw new IllegalArgumentException(source.describe() + ": data stream " + stream + " has no data (fewer units than streams)");
        this.source = source;
        this.units = units.clone();
        this.blockUnits = blockUnits;
        this.seed = seed;
        this.stream = stream;
        this.w = 2 * source.dim();
    }

    /** Units 0..n-1 dealt round-robin to {@code streams} streams: the units of stream {@code s}. */
    public static int[] unitsOf(int units, int streams, int s) {
        int[] out = new int[Math.max(0, (units - s + streams - 1) / streams)];
        for (int i = 0; i < out.length; i++) out[i] = s + i * streams;
        return out;
    }

    public StreamPosition position() {
        return epoch < 0 ? StreamPosition.START : new StreamPosition(epoch, block, offset);
    }

    public void seek(StreamPosition p) throws IOException {
        startEpoch(p.epoch());
        loadBlock(p.block());
        if (p.offset() > rowCount()) throw new IllegalArgumentException("stream " + stream + ": position " + p + " is past its block's " + rowCount() + " rows");
        offset = p.offset();
    }

    /** Copies the next {@code n} rows into {@code out} from {@code outRow} on, moving to new blocks and epochs as needed. */
    public void next(float[] out, int outRow, int n) throws IOException {
        if (epoch < 0) seek(StreamPosition.START);
        int emptyBlocks = 0;
        for (int i = 0; i < n; ) {
            if (offset == rowCount()) {
                advanceBlock();
                if (rowCount() == 0) {
                    if (++emptyBlocks > epochOrder.length + 1) throw new IllegalStateException(source.describe() + ": data stream " + stream + " has no finite rows");
                    continue;
                }
            }
            System.arraycopy(rows, rowOrder[offset++] * w, out, (outRow + i) * w, w);
            i++;
        }
    }

    private int rowCount() {
        return rowOrder.length;
    }

    private void advanceBlock() throws IOException {
        int blocks = (epochOrder.length + blockUnits - 1) / blockUnits;
        if (block + 1 < blocks) {
            loadBlock(block + 1);
        } else {
            startEpoch(epoch + 1);
            loadBlock(0);
        }
    }

    private void startEpoch(long e) {
        epoch = e;
        epochOrder = units.clone();
        shuffle(epochOrder, new SplittableRandom(mix(seed, stream, e, -1)));
    }

    private void loadBlock(int b) throws IOException {
        int from = b * blockUnits, to = Math.min(epochOrder.length, from + blockUnits);
        if (from >= to) throw new IllegalArgumentException("stream " + stream + ": block " + b + " does not exist");
        float[][] parts = new float[to - from][];
        int total = 0;
        for (int i = from; i < to; i++) {
            parts[i - from] = source.load(epochOrder[i]);
            total += parts[i - from].length;
        }
        rows = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, rows, at, p.length);
            at += p.length;
        }
        rowOrder = new int[total / w];
        for (int i = 0; i < rowOrder.length; i++) rowOrder[i] = i;
        shuffle(rowOrder, new SplittableRandom(mix(seed, stream, epoch, b)));
        block = b;
        offset = 0;
    }

    private static void shuffle(int[] a, SplittableRandom rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static long mix(long seed, int stream, long epoch, int block) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h = (h ^ stream) * 0xBF58476D1CE4E5B9L;
        h = (h ^ epoch) * 0x94D049BB133111EBL;
        return (h ^ block) * 0x9E3779B97F4A7C15L;
    }
}
