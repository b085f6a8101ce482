package org.dfcspark.jobs.harvest;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * What a harvest task needs from the JVM it runs in: the device (the task's {@code gpu} resource address under
 * Spark resource scheduling, the CPU otherwise) and libtorch's intra-op thread count, chosen so that
 * threads x concurrent tasks <= cores. Both are reported once per JVM.
 */
public final class ExecutorRuntime {
    private static volatile String reported;

    private ExecutorRuntime() {}

    public static Device device(TaskContext ctx) {
        Map<String, ResourceInformation> res = ctx == null ? Map.of() : ctx.resourcesJMap();
        ResourceInformation gpu = res.get("gpu");
        if (gpu != null && gpu.addresses().length > 0) return Device.gpu(Integer.parseInt(gpu.addresses()[0].trim()));
        return Device.cpu();
    }

    /** Sets libtorch's intra-op threads (a process-wide setting) and logs the choice once per JVM. */
    public static synchronized void configure(Device device, int threads) {
        if (JniUtils.getNumThreads() != threads) JniUtils.setNumThreads(threads);
        String line = "dfc: tasks in this JVM run on " + device
                + (device.isGpu() ? " (the task's gpu resource)" : " (no gpu resource assigned)")
                + " with " + threads + " libtorch thread(s) each";
        if (!line.equals(reported)) {
            reported = line;
            System.err.println(line);
        }
    }

    /**
     * Threads per task so that threads x concurrent tasks <= cores: {@code local[N]} runs N tasks in one JVM on
     * this machine's cores; a cluster executor runs executor.cores / task.cpus tasks on executor.cores cores.
     */
    public static int threadsPerTask(String master, int executorCores, int taskCpus) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (master != null && master.startsWith("local")) {
            int slots = localSlots(master, cores);
            return Math.max(1, cores / slots);
        }
        int slots = Math.max(1, executorCores / Math.max(1, taskCpus));
        return Math.max(1, executorCores / slots);
    }

    /**
     * Threads per task for a stage of {@code tasks} tasks (the feature ranking and the report's evidence: one task per
     * hook). In local mode a stage with fewer tasks than slots gives each task the idle slots' cores too: one task on
     * local[2] would leave a core idle. On a cluster the driver cannot know which executors the tasks land on, so it
     * is {@link #threadsPerTask(String, int, int)}.
     */
    public static int threadsPerTask(org.apache.spark.SparkConf conf, int tasks) {
        String master = conf.get("spark.master", "local[2]");
        if (master.startsWith("local")) {
            int cores = Runtime.getRuntime().availableProcessors();
            return Math.max(1, cores / Math.max(1, Math.min(localSlots(master, cores), tasks)));
        }
        return threadsPerTask(master, conf.getInt("spark.executor.cores", 1), conf.getInt("spark.task.cpus", 1));
    }

    /** N of local[N], local[N,F]; local[*] and local mean all cores, one for plain "local". */
    static int localSlots(String master, int cores) {
        if (master.equals("local")) return 1;
        int open = master.indexOf('[');
        int close = master.indexOf(']');
        if (open < 0 || close < open) return 1;
        String n = master.substring(open + 1, close).split(",")[0].trim();
        if (n.equals("*")) return cores;
        try {
            return Math.max(1, Integer.parseInt(n));
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
