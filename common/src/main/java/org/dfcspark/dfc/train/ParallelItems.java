package org.dfcspark.dfc.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Independent items on several threads, each thread taking the next item nobody has taken yet: a core that runs slower
 * for a while simply takes fewer of them (lockstep learners, the variants a sweep task measures). The caller's thread
 * is one of the workers.
 */
public final class ParallelItems {
    /** Helper threads (daemons: an abandoned run does not keep the JVM alive). */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dfc-items");
        t.setDaemon(true);
        return t;
    });

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
        Callable<Void> worker = () -> {
            try {
                for (int i; (i = next.getAndIncrement()) < count; ) work.run(i);
            } catch (IOException | RuntimeException | Error e) {
                next.set(count); // the others finish the item in hand and stop
                throw e;
            }
            return null;
        };
        List<Future<Void>> helpers = new ArrayList<>();
        for (int i = 1; i < workers; i++) helpers.add(POOL.submit(worker));
        Throwable failure = null;
        try {
            worker.call();
        } catch (Exception | Error e) {
            failure = e;
        }
        for (Future<Void> f : helpers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof IOException io) throw io;
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
