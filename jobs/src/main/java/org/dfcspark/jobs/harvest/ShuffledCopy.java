package org.dfcspark.jobs.harvest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * The training copy: each layer's rows in a seeded, global random order, so consecutive rows do not come from one
 * prompt. The order is a sort on {@code xxhash64(sample_id, seed)}: a pseudo-random permutation that depends only on
 * the rows and the seed (not on partitioning or task timing), so re-running gives the same files' order. Each layer
 * is written with Spark's committer and is done once its {@code _SUCCESS} exists; a restart redoes only missing layers.
 */
final class ShuffledCopy {
    private ShuffledCopy() {}

    static final long ROWS_PER_FILE = 16_384;

    /** Writes the shuffled layers that are missing; returns how many it wrote. */
    static int write(SparkSession spark, StoreLayout layout, Iterable<Integer> layers, long seed, Configuration conf)
            throws IOException {
        int written = 0;
        for (int layer : layers) {
            Path dir = layout.shuffledLayer(layer);
            if (HadoopFiles.exists(new Path(dir, "_SUCCESS"), conf)) continue;
            Dataset<Row> rows = spark.read().parquet(layout.activationLayer(layer).toString());
            long n = rows.count();
            int files = (int) Math.max(1, (n + ROWS_PER_FILE - 1) / ROWS_PER_FILE);
            Column key = xxhash64(col(ActivationSchema.SAMPLE_ID), lit(seed));
            rows.repartitionByRange(files, key, col(ActivationSchema.SAMPLE_ID))
                    .sortWithinPartitions(key, col(ActivationSchema.SAMPLE_ID))
                    .write().mode(SaveMode.Overwrite).parquet(dir.toString());
            written++;
        }
        return written;
    }
}
