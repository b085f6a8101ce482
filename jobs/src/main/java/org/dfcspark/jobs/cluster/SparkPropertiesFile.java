package org.dfcspark.jobs.cluster;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A Spark properties file ({@code key value} lines, as {@code spark-submit --properties-file} reads) for
 * {@code bin/dfc}: {@code DFC_SPARK_CONF=conf/spark-cpu-cluster.conf bin/dfc harvest … --master spark://…}.
 * Only {@code spark.*} keys are taken; a key already set (a {@code -D} flag) wins over the file.
 */
public final class SparkPropertiesFile {
    private SparkPropertiesFile() {}

    /** The file's spark.* keys; a missing or unreadable file is refused with one line. */
    public static Map<String, String> read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("DFC_SPARK_CONF " + file + ": cannot read it (" + e.getClass().getSimpleName() + ")");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) if (k.startsWith("spark.")) out.put(k, p.getProperty(k).trim());
        return out;
    }
}
