package org.dfcspark.jobs.harvest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dfcspark.harvest.HarvestCounts;

/**
 * The done marker of one shard ({@code _harvest/done/shard-NNNNN.json}): written after all of the shard's files
 * were published, so its presence means the shard is complete, and what it counted.
 *
 * @param device  the DJL device the shard ran on ("cpu()", "gpu(0)")
 * @param attempt Spark's attempt number of the task that completed it (0 = first try)
 */
public record ShardSummary(int shard, HarvestCounts counts, String device, int attempt, long millis) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ShardSummary fromJson(String json, String where) {
        try {
            return JSON.readValue(json, ShardSummary.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(where + ": not a shard marker: " + e.getOriginalMessage());
        }
    }
}
