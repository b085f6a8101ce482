package org.dfcspark.dfc.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dfcspark.dfc.ArrayActivations;
import org.junit.jupiter.api.Test;

class BlockShuffledStreamTest {
    /** 100 rows of d = 1; row r holds (r, -r). */
    private static SourceUnits source(int unitRows) {
        float[] data = new float[200];
        for (int r = 0; r < 100; r++) {
            data[2 * r] = r;
            data[2 * r + 1] = -r;
        }
        return new SourceUnits(new ArrayActivations(data, 100, 1, "rows"), unitRows);
    }

    private static List<Integer> take(BlockShuffledStream s, int n) throws IOException {
        float[] out = new float[2 * n];
        s.next(out, 0, n);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add((int) out[2 * i]);
        return ids;
    }

    @Test
    void unitsAreDealtRoundRobin() {
        assertArrayEquals(new int[] {0, 3, 6, 9}, BlockShuffledStream.unitsOf(10, 3, 0));
        assertArrayEquals(new int[] {2, 5, 8}, BlockShuffledStream.unitsOf(10, 3, 2));
        assertArrayEquals(new int[] {}, BlockShuffledStream.unitsOf(2, 3, 2));
    }

    @Test
    void anEpochVisitsEveryRowOfItsUnitsOnceInASeededOrder() throws IOException {
        SourceUnits src = source(10);
        int[] units = BlockShuffledStream.unitsOf(src.units(), 2, 1); // units 1, 3, 5, 7, 9: rows 10-19, 30-39, ...
        List<Integer> epoch = take(new BlockShuffledStream(src, units, 2, 7, 1), 50);
        List<Integer> sorted = new ArrayList<>(epoch);
        sorted.sort(null);
        List<Integer> expected = new ArrayList<>();
        for (int u : units) for (int r = 0; r < 10; r++) expected.add(u * 10 + r);
        assertEquals(expected, sorted);
        assertNotEquals(expected, epoch, "shuffled");
        assertEquals(epoch, take(new BlockShuffledStream(src, units, 2, 7, 1), 50), "same seed, same order");
        assertNotEquals(epoch, take(new BlockShuffledStream(src, units, 2, 8, 1), 50), "another seed, another order");
    }

    @Test
    void seekingToASavedPositionContinuesExactly() throws IOException {
        SourceUnits src = source(7);
        int[] units = BlockShuffledStream.unitsOf(src.units(), 1, 0);
        BlockShuffledStream straight = new BlockShuffledStream(src, units, 3, 5, 0);
        List<Integer> all = take(straight, 250); // two and a half epochs
        BlockShuffledStream first = new BlockShuffledStream(src, units, 3, 5, 0);
        List<Integer> head = take(first, 137);
        StreamPosition at = first.position();
        BlockShuffledStream resumed = new BlockShuffledStream(src, units, 3, 5, 0);
        resumed.seek(at);
        List<Integer> joined = new ArrayList<>(head);
        joined.addAll(take(resumed, 113));
        assertEquals(all, joined);
        assertEquals(1, at.epoch());
    }

    @Test
    void rowsWithNanAreSkippedAndCounted() throws IOException {
        float[] data = new float[40];
        for (int r = 0; r < 20; r++) {
            data[2 * r] = r;
            data[2 * r + 1] = r;
        }
        data[2 * 3 + 1] = Float.NaN;
        data[2 * 11] = Float.POSITIVE_INFINITY;
        SourceUnits src = new SourceUnits(new ArrayActivations(data, 20, 1, "rows"), 8);
        List<Integer> epoch = take(new BlockShuffledStream(src, new int[] {0, 1, 2}, 3, 1, 0), 18);
        assertEquals(2, src.badRows());
        List<Integer> sorted = new ArrayList<>(epoch);
        sorted.sort(null);
        List<Integer> expected = new ArrayList<>(Arrays.asList(0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19));
        assertEquals(expected, sorted);
    }
}
