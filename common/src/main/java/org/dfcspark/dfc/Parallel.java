package org.dfcspark.dfc;

import java.io.IOException;
import java.io.UncheckedIOException;
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
        try {
            shares(t, share -> { for (int b = share; b < blocks; b += t) body.accept(b); });
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the body throws none
        }
    }

    /** One share of the work of {@link #shares}. */
    interface Share {
        void run(int share) throws IOException;
    }

    /**
     * Runs shares 1 .. workers − 1 on pooled helper threads and share 0 on this one, waits for all of them, and throws
     * the first failure.
     */
    static void shares(int workers, Share work) throws IOException {
        if (workers <= 1) {
            work.run(0);
            return;
        }
        List<Future<?>> helpers = new ArrayList<>(workers - 1);
        for (int s = 1; s < workers; s++) {
            final int share = s;
            helpers.add(POOL.submit(() -> {
                work.run(share);
                return null;
            }));
        }
        Throwable failure = null;
        try {
            work.run(0);
        } catch (IOException | RuntimeException | Error e) {
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
        if (failure instanceof IOException io) throw io;
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
