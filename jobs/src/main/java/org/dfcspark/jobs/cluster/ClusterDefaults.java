package org.dfcspark.jobs.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a session on a cluster master ({@code spark://}, {@code yarn}, {@code k8s://}) needs beyond Spark's defaults,
 * so that {@code bin/dfc … --master URL} works with nothing else set. Each key is only filled in when the user (a
 * properties file, {@code -D}, spark-submit) has not set it:
 * <ul>
 *   <li>{@code spark.jars}: the project's jars and dependencies ({@link ShippedJars}); spark-submit sets it itself;</li>
 *   <li>{@code spark.executor.extraJavaOptions}: this JVM's DJL and module flags (as {@code bin/dfc} passes them);</li>
 *   <li>{@code spark.executorEnv.DJL_CACHE_DIR = djl-cache}: libtorch is extracted into the executor's own directory
 *       in the application's work dir (removed with it), not the home directory of whoever runs the worker;</li>
 *   <li>{@code spark.executorEnv.*} for the allocator and OpenMP variables this process has ({@code bin/dfc} sets them).</li>
 * </ul>
 */
public final class ClusterDefaults {
    static final List<String> FORWARDED_ENV = List.of("OMP_WAIT_POLICY", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "THP_MEM_ALLOC_ENABLE", "OPT_OUT_TRACKING");

    private ClusterDefaults() {}

    /** The keys to add for {@code master}, given what is set already ({@code isSet}). Empty for local masters. */
    public static Map<String, String> forMaster(String master, Function<String, Boolean> isSet) {
        Map<String, String> add = new LinkedHashMap<>();
        if (ClusterPaths.isLocal(master)) return add;
        if (!isSet.apply("spark.jars")) {
            try {
                Path work = Files.createTempDirectory("dfc-jars-");
                work.toFile().deleteOnExit();
                String jars = ShippedJars.forClassPath(System.getProperty("java.class.path"), work);
                for (String j : jars.split(",")) if (j.startsWith(work.toString())) Path.of(j).toFile().deleteOnExit();
                add.put("spark.jars", jars);
            } catch (IOException e) {
                throw new UncheckedIOException("could not pack the project's classes for the executors", e);
            }
        }
        if (!isSet.apply("spark.executor.extraJavaOptions")) {
            List<String> flags = new ArrayList<>();
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-") || a.startsWith("-Dai.djl.") || a.startsWith("-Djdk.reflect.") || a.startsWith("-Dio.netty.")
                        || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.equals("-XX:+UseTransparentHugePages")) flags.add(a);
            }
            if (!flags.isEmpty()) add.put("spark.executor.extraJavaOptions", String.join(" ", flags));
        }
        if (!isSet.apply("spark.executorEnv.DJL_CACHE_DIR")) add.put("spark.executorEnv.DJL_CACHE_DIR", "djl-cache");
        for (String v : FORWARDED_ENV) {
            String value = System.getenv(v);
            if (value != null && !isSet.apply("spark.executorEnv." + v)) add.put("spark.executorEnv." + v, value);
        }
        return add;
    }
}
