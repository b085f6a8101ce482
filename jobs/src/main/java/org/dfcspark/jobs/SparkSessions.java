package org.dfcspark.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.cluster.ClusterDefaults;
import org.dfcspark.jobs.cluster.ResourceWatch;
import org.dfcspark.jobs.cluster.SparkPropertiesFile;
import java.nio.file.Path;
import java.util.Map;

/**
 * The one way jobs get their SparkSession. The master comes from the {@code spark.master} system
 * property (set by {@code spark-submit}, and by {@code bin/dfc} to {@code local[2]}), defaulting to
 * {@code local[2]}. In local mode the driver binds to 127.0.0.1 and the UI is off, so tests and laptops
 * need no network; shuffles use few partitions (small local data). On a cluster master the session gets what
 * executors need to run this project ({@link ClusterDefaults}: the jars, JVM flags, a DJL cache in the work dir)
 * and a line when no executor starts within a minute ({@link ResourceWatch}).
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** The JVM's session (created on first use, shared after: Spark allows one active context per JVM). */
    public static SparkSession get(String appName) {
        String master = System.getProperty("spark.master", "local[2]");
        SparkSession.Builder b = SparkSession.builder()
                .appName(appName)
                .master(master)
                .config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
                .config("spark.sql.shuffle.partitions", System.getProperty("spark.sql.shuffle.partitions", "4"));
        if (master.startsWith("local")) {
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkConf given = new SparkConf(); // spark.* system properties: -D flags, spark-submit
        String confFile = System.getenv("DFC_SPARK_CONF");
        if (confFile != null && !confFile.isBlank()) {
            for (Map.Entry<String, String> e : SparkPropertiesFile.read(Path.of(confFile)).entrySet()) {
                if (!given.contains(e.getKey())) {
                    b.config(e.getKey(), e.getValue());
                    given.set(e.getKey(), e.getValue());
                }
            }
        }
        ClusterDefaults.forMaster(master, given::contains).forEach(b::config);
        SparkSession spark = b.getOrCreate();
        ResourceWatch.start(spark.sparkContext(), Long.getLong("dfc.resourceWatchMillis", 60_000), System.err::println);
        return spark;
    }
}
