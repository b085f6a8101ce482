package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelItemsTest {
    /** Two threads really run side by side: item 0 waits for item 1 to start, which one thread alone could never do. */
    @Test
    void twoThreadsTakeItemsSideBySide() throws Exception {
        CountDownLatch secondStarted = new CountDownLatch(1);
        boolean[] sawSecond = new boolean[1];
        ParallelItems.forEach(2, 2, i -> {
            if (i == 1) secondStarted.countDown();
            else {
                try {
                    sawSecond[0] = secondStarted.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        assertTrue(sawSecond[0], "item 1 ran while item 0 waited");
    }

    @Test
    void everyItemRunsOnceAndOneThreadKeepsTheOrder() throws Exception {
        int[] runs = new int[100];
        ParallelItems.forEach(runs.length, 3, i -> runs[i]++);
        int[] ones = new int[100];
        java.util.Arrays.fill(ones, 1);
        assertArrayEquals(ones, runs);
        StringBuilder order = new StringBuilder();
        ParallelItems.forEach(4, 1, order::append);
        assertEquals("0123", order.toString());
    }

    /** A failure stops the others from taking more items and reaches the caller as itself. */
    @Test
    void theFirstFailureStopsTheRestAndIsThrown() {
        AtomicInteger taken = new AtomicInteger();
        IOException e = assertThrows(IOException.class, () -> ParallelItems.forEach(1000, 2, i -> {
            taken.incrementAndGet();
            if (i == 3) throw new IOException("item 3 failed");
        }));
        assertEquals("item 3 failed", e.getMessage());
        assertTrue(taken.get() < 1000, "items taken after the failure: " + taken.get());
    }
}
