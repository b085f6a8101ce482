package org.dfcspark.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Independent Spark actions of the driver (reading small tables) run at once. Each such action is a job of one small
 * task whose cost is mostly scheduling (0.1–0.2 s in local mode); run one after another they queue behind each
 * other's latency, run together they overlap on the free cores. Spark's scheduler is thread-safe: jobs submitted from
 * several driver threads run side by side.
 */
public final class ConcurrentJobs {
    private ConcurrentJobs() {}

    /** Runs every action at once and returns their results in order; the first failure is rethrown as it was thrown. */
    @SafeVarargs
    public static <T> List<T> all(Callable<T>... actions) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(actions.length, daemon("dfc-driver-job"));
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> a : actions) futures.add(pool.submit(a));
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) out.add(join(f));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The action's result; its failure rethrown unwrapped ({@link #rethrown}). */
    private static <T> T join(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a driver job", e);
        } catch (ExecutionException e) {
            throw rethrown(e);
        }
    }

    /**
     * The failure of work that ran on another thread, as it was thrown there: a RuntimeException or Error is thrown
     * from here, an IOException (or any other checked exception, wrapped in one) returned for the caller to throw.
     */
    public static IOException rethrown(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) return io;
        if (c instanceof RuntimeException r) throw r;
        if (c instanceof Error err) throw err;
        return new IOException(c);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
