/**
 * Exactly-once work items on Spark, shared by harvest, sweep and evaluate. A job plans its
 * {@link org.dfcspark.jobs.work.WorkItem}s, keeps those without a done marker
 * ({@link org.dfcspark.jobs.work.WorkQueue#pending}) and runs them one Spark task each
 * ({@link org.dfcspark.jobs.work.WorkQueue#run}); a task does its {@link org.dfcspark.jobs.work.ItemTask}, which
 * publishes the item's output by rename ({@link org.dfcspark.jobs.work.HadoopFiles}), and then writes the item's
 * marker ({@link org.dfcspark.jobs.work.DoneMarkers}). Retries, speculative copies and reruns therefore rewrite the
 * same files and never redo a finished item. While the items run, {@link org.dfcspark.jobs.work.ProgressReporter}
 * prints a line from the markers and what running tasks report ({@link org.dfcspark.jobs.work.InFlightProgress}).
 * Everything works on any Hadoop file system path (local, HDFS, S3): that is why {@link org.dfcspark.jobs.work.HadoopFiles}
 * is a second atomic-publish helper beside {@code org.dfcspark.io.AtomicOutput} (which is for {@code java.nio} paths).
 * {@code WorkQueue#runPacked} with a {@link org.dfcspark.jobs.work.PackTask} runs several items in one task (the sweep's
 * lockstep variants). Depends only on {@code jobs.cluster}; no stage. docs/DESIGN.md "Exactly-once work items";
 * docs/ARCHITECTURE.md (how each stage uses it).
 */
package org.dfcspark.jobs.work;
