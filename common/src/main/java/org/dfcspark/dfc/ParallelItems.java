package org.dfcspark.dfc;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Independent items on several threads, each thread taking the next item nobody has taken yet: a core that runs slower
 * for a while simply takes fewer of them (lockstep learners, the variants a sweep task measures). The caller's thread
 * is one of the workers ({@link Parallel#shares}).
 */
public final class ParallelItems {
    private ParallelItems() {}

    /** The work on one item. */
    public interface Work {
        void run(int item) throws IOException;
    }

    /**
     * {@code work} for every item in {@code [0, count)} on up to {@code threads} threads (in order on this thread when
     * one). The first exception stops the others from taking more items and is thrown once all have stopped.
     */
    public static void forEach(int count, int threads, Work work) throws IOException {
        int workers = Math.min(Math.max(1, threads), count);
        if (workers <= 1) {
            for (int i = 0; i < count; i++) work.run(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Parallel.shares(workers, share -> {
            try {
                for (int i; (i = next.getAndIncrement()) < count; ) work.run(i);
            } catch (IOException | RuntimeException | Error e) {
                next.set(count); // the others finish the item in hand and stop
                throw e;
            }
        });
    }
}
