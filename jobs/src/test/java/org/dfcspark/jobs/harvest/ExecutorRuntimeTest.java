package org.dfcspark.jobs.harvest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** How many libtorch threads a task gets, so that threads × concurrent tasks never exceeds the cores. */
class ExecutorRuntimeTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void localSlotsShareThisMachinesCores() {
        assertEquals(Math.max(1, CORES / 2), ExecutorRuntime.threadsPerTask("local[2]", 1, 1));
        assertEquals(CORES, ExecutorRuntime.threadsPerTask("local[1]", 1, 1));
        assertEquals(CORES, ExecutorRuntime.threadsPerTask("local", 1, 1));
        assertEquals(1, ExecutorRuntime.threadsPerTask("local[*]", 1, 1));
        assertEquals(1, ExecutorRuntime.threadsPerTask("local[" + 4 * CORES + "]", 1, 1), "never below one thread");
    }

    @Test
    void aClusterExecutorSplitsItsCoresAmongItsTaskSlots() {
        assertEquals(2, ExecutorRuntime.threadsPerTask("spark://h:7077", 8, 2)); // 4 slots of 2 cpus
        assertEquals(8, ExecutorRuntime.threadsPerTask("spark://h:7077", 8, 8)); // 1 slot
        assertEquals(1, ExecutorRuntime.threadsPerTask("spark://h:7077", 4, 1));
    }

    @Test
    void aStageWithFewerTasksThanLocalSlotsGivesEachTaskTheIdleCores() {
        SparkConf local = new SparkConf(false).set("spark.master", "local[" + CORES + "]");
        assertEquals(CORES, ExecutorRuntime.threadsPerTask(local, 1), "one task: every core");
        assertEquals(1, ExecutorRuntime.threadsPerTask(local, CORES), "a task per slot: one core each");
        assertEquals(1, ExecutorRuntime.threadsPerTask(local, 10 * CORES), "more tasks than slots: one core each");
        // on a cluster the driver cannot know where tasks land: the executor's share, whatever the task count
        SparkConf cluster = new SparkConf(false).set("spark.master", "spark://h:7077").set("spark.executor.cores", "8").set("spark.task.cpus", "2");
        assertEquals(2, ExecutorRuntime.threadsPerTask(cluster, 1));
    }
}
