package org.dfcspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import ml.dmlc.xgboost4j.java.RabitTracker;
import org.junit.jupiter.api.Test;

/** Two members of XGBoost's collective in one JVM (one thread each, as replicas sharing an executor in local mode). */
class XgbAllReduceTest {
    @Test
    void severalArraysAreSummedAsOneMessageAndMinMaxStayElementWise() throws Exception {
        assertTrue(XgbAllReduce.inPlace(), "this XGBoost4J lacks the in-place entry point: the staged path is untested");
        RabitTracker tracker = XgbAllReduce.startTracker(2, "127.0.0.1", 60);
        Map<String, Object> args = XgbAllReduce.workerArgs(tracker);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<float[][]> r0 = pool.submit(() -> member(args, 0));
            Future<float[][]> r1 = pool.submit(() -> member(args, 1));
            float[][] a = r0.get(), b = r1.get();
            // the arrays of member r hold r + 1 + index; sums are 2·index + 3, bit-identical on both members
            for (float[][] got : new float[][][] {a, b}) {
                for (int i = 0; i < 3; i++) assertEquals(2 * i + 3, got[0][i], 0f);
                for (int i = 0; i < 100_003; i++) assertEquals(2 * i + 3, got[1][i], 0f);
                assertArrayEquals(new float[] {1f, -2f}, got[2], "min");
                assertArrayEquals(new float[] {2f, -1f}, got[3], "max");
            }
        } finally {
            pool.shutdownNow();
            tracker.stop();
        }
    }

    private static float[][] member(Map<String, Object> args, int rank) throws Exception {
        try (XgbAllReduce comm = XgbAllReduce.join(args, rank, 2)) {
            float[] small = new float[3], large = new float[100_003];
            for (int i = 0; i < small.length; i++) small[i] = rank + 1 + i;
            for (int i = 0; i < large.length; i++) large[i] = rank + 1 + i;
            comm.sum(new float[][] {small, large});
            float[] lo = {rank + 1, -rank - 1}, hi = lo.clone();
            comm.min(lo);
            comm.max(hi);
            assertEquals(4L * (3 + 100_003 + 2 + 2), comm.bytesReduced());
            return new float[][] {small, large, lo, hi};
        }
    }
}
