package org.dfcspark.jobs.work;

import java.io.Serializable;

/**
 * The work of one item, run inside a Spark task by {@link WorkQueue}. It must publish its output files by rename
 * ({@link HadoopFiles#writeAtomically}, {@link HadoopFiles#publish}) under names that depend only on the item, so that
 * a retried or speculative attempt rewrites the same files; it then returns its done marker's JSON, which the queue
 * writes after it returns.
 */
@FunctionalInterface
public interface ItemTask<T extends WorkItem> extends Serializable {
    /**
     * @param progress where the task adds the units it finished (the driver's progress line shows them while it runs)
     * @return the JSON of the item's done marker (what it counted)
     */
    String run(T item, TaskProgress progress) throws Exception;
}
