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
        SparkConf requested = requestedConf();
        String master = requested.get("spark.master");
        SparkSession.Builder b = SparkSession.builder().appName(appName).config(requested);
        ClusterDefaults.forMaster(master, requested::contains).forEach(b::config);
        SparkSession spark = b.getOrCreate();
        ResourceWatch.start(spark.sparkContext(), Long.getLong("dfc.resourceWatchMillis", 60_000), System.err::println);
        return spark;
    }

    /**
     * The settings a session would be created with, known before it is (a job checks its paths against them first):
     * the spark.* system properties (-D flags, spark-submit), then the keys of the properties file named by
     * {@code DFC_SPARK_CONF} that are not set already, then this class's defaults.
     */
    public static SparkConf requestedConf() {
        SparkConf c = new SparkConf();
        String confFile = System.getenv("DFC_SPARK_CONF");
        if (confFile != null && !confFile.isBlank()) {
            for (Map.Entry<String, String> e : SparkPropertiesFile.read(Path.of(confFile)).entrySet()) c.setIfMissing(e.getKey(), e.getValue());
        }
        String master = c.get("spark.master", "local[2]");
        c.set("spark.master", master);
        c.setIfMissing("spark.ui.enabled", "false");
        c.setIfMissing("spark.sql.shuffle.partitions", "4");
        if (master.startsWith("local")) c.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        return c;
    }
}
