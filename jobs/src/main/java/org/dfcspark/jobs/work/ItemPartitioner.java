package org.dfcspark.jobs.work;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;

/**
 * Puts the rows of each pending item (keyed by the item's id) in a partition of their own, so that one Spark task
 * is exactly one item: for jobs whose items' inputs come from a table rather than from the driver.
 */
public final class ItemPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;

    private final Map<String, Integer> partitionOf = new HashMap<>();

    public ItemPartitioner(List<String> pendingIds) {
        for (String id : pendingIds) {
            if (partitionOf.put(id, partitionOf.size()) != null) throw new IllegalArgumentException("item " + id + " is listed twice");
        }
    }

    @Override
    public int numPartitions() {
        return partitionOf.size();
    }

    @Override
    public int getPartition(Object key) {
        Integer p = partitionOf.get((String) key);
        if (p == null) throw new IllegalArgumentException("item " + key + " is not pending");
        return p;
    }
}
