package org.dfcspark.jobs.work;

import java.io.Serializable;

/**
 * One unit of exactly-once work: one Spark task does it, publishes its output and then its done marker
 * ({@link DoneMarkers}), so a finished item is never redone.
 */
public interface WorkItem extends Serializable {
    /**
     * The item's name, the same in every run of the same plan: it names the done marker, so it is a relative path of
     * file-name-safe segments ({@code shard-00003}, or {@code crosscoder/hook/shard-00003} for markers in
     * subdirectories).
     */
    String id();

    /** What a one-line error names when the item's task fails; the id unless the item can say more. */
    default String describe() {
        return id();
    }
}
