package org.dfcspark.jobs.harvest;

import java.util.Arrays;
import org.apache.spark.Partitioner;

/** Puts each pending shard in its own partition, so one Spark task is exactly one shard. */
final class ShardPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;

    private final int[] shards;

    ShardPartitioner(int[] sortedShards) {
        this.shards = sortedShards.clone();
    }

    @Override
    public int numPartitions() {
        return shards.length;
    }

    @Override
    public int getPartition(Object key) {
        int i = Arrays.binarySearch(shards, (Integer) key);
        if (i < 0) throw new IllegalArgumentException("shard " + key + " is not pending");
        return i;
    }
}
