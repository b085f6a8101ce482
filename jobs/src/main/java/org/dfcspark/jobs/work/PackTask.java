package org.dfcspark.jobs.work;

import java.io.Serializable;
import java.util.List;

/**
 * The work of several items done together in one Spark task by {@link WorkQueue#runPacked} (a sweep's variants that
 * share one read of the data). Like an {@link ItemTask} it publishes each item's output by rename under names that
 * depend only on the item, then returns each item's done marker JSON; an item it could not finish gets null and stays
 * pending (the next run retries it) while the others are marked done.
 */
@FunctionalInterface
public interface PackTask<T extends WorkItem> extends Serializable {
    /**
     * @param items    the pack's items that are not done yet
     * @param progress where the task adds the units it finished
     * @return one marker JSON (or null) per item, in the order of {@code items}
     */
    List<String> run(List<T> items, TaskProgress progress) throws Exception;
}
