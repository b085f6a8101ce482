package org.dfcspark.dfc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Data-parallel loops over fixed blocks. Each block writes only its own outputs, so results do not depend on the
 * number of threads (reductions keep one partial per block and combine them in block order). The caller runs one
 * share itself; at most {@code threads − 1} pooled helper threads join it.
 */
final class Parallel {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dfc-compute");
        t.setDaemon(true);
        return t;
    });

    private Parallel() {}

    /** Calls {@code body.accept(block)} for every block in {@code [0, blocks)}; thread t takes t, t+threads, … */
    static void forBlocks(int threads, int blocks, IntConsumer body) {
        int t = Math.max(1, Math.min(threads, blocks));
        if (t == 1) {
            for (int b = 0; b < blocks; b++) body.accept(b);
            return;
        }
        List<Future<?>> helpers = new ArrayList<>(t - 1);
        for (int s = 1; s < t; s++) {
            final int share = s;
            helpers.add(POOL.submit(() -> { for (int b = share; b < blocks; b += t) body.accept(b); }));
        }
        Throwable failure = null;
        try {
            for (int b = 0; b < blocks; b += t) body.accept(b);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : helpers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }

    /**
     * Which of {@link #forBlocks}'s shares runs {@code block}, in {@code [0, threads)}: blocks with the same share never
     * run at the same time, so a caller can give each share its own scratch buffers.
     */
    static int share(int block, int threads) {
        return block % Math.max(1, threads); // share s takes s, s + t, ... with t = min(threads, blocks)
    }

    /** Number of blocks of {@code size} needed to cover n items. */
    static int blocks(int n, int size) {
        return (n + size - 1) / size;
    }
}
