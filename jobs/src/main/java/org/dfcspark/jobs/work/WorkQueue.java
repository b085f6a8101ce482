package org.dfcspark.jobs.work;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.cluster.TaskFailure;

/**
 * Runs work items exactly once (driver side): the caller plans its items, keeps the {@link #pending} ones, and
 * {@link #run}s them, one Spark task per item. Each task does its item ({@link ItemTask}), which publishes the
 * item's output by rename, and then writes the item's done marker ({@link DoneMarkers}). So a task retry, a
 * speculative copy or a rerun of the whole job rewrites the same files, and an item whose marker exists is never
 * redone: a rerun skips it, and an attempt that starts after another attempt finished returns that marker.
 *
 * <pre>{@code
 * DoneMarkers markers = new DoneMarkers(dir, ".json", conf);
 * markers.deleteTemporaries();
 * List<Item> pending = WorkQueue.pending(items, markers);
 * try (InFlightProgress inFlight = new InFlightProgress(sc, "job", List.of("rows"));
 *      ProgressReporter line = new ProgressReporter(markers, counts, inFlight, items.size(), totals, 10, format, log)) {
 *     WorkQueue.run(spark, "job: 12 items", pending, markers, task, inFlight.taskProgress());
 * }
 * }</pre>
 */
public final class WorkQueue {
    private WorkQueue() {}

    /** The items without a done marker, in their order (one listing of the markers). */
    public static <T extends WorkItem> List<T> pending(List<T> items, DoneMarkers markers) throws IOException {
        Set<String> done = markers.doneIds();
        List<T> pending = new ArrayList<>();
        for (T item : items) if (!done.contains(item.id())) pending.add(item);
        return pending;
    }

    /**
     * Runs each of {@code pending} (items sent from the driver) in a Spark task of its own.
     *
     * @return each item's done marker JSON, in the order of {@code pending}
     */
    public static <T extends WorkItem> List<String> run(SparkSession spark, String description, List<T> pending, DoneMarkers markers,
                                                        ItemTask<T> task, TaskProgress progress) {
        if (pending.isEmpty()) return List.of();
        // parallelize cuts a list of n elements into n slices of one element each
        JavaRDD<T> items = new JavaSparkContext(spark.sparkContext()).parallelize(pending, pending.size());
        return run(items, description, markers, task, progress);
    }

    /**
     * Runs the items of {@code onePerPartition} (e.g. built from a table with {@link ItemPartitioner}), each
     * partition holding one item or none, in a Spark task each.
     *
     * @return each item's done marker JSON, in partition order
     */
    public static <T extends WorkItem> List<String> run(JavaRDD<T> onePerPartition, String description, DoneMarkers markers,
                                                        ItemTask<T> task, TaskProgress progress) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(onePerPartition.context());
        String before = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription(description);
        try {
            return onePerPartition.mapPartitions(new ItemAttempt<>(markers, task, progress)).collect();
        } finally {
            sc.setLocalProperty("spark.job.description", before);
        }
    }

    /** One task attempt: the marker check, the item's work, the marker. */
    private static final class ItemAttempt<T extends WorkItem> implements FlatMapFunction<Iterator<T>, String> {
        private static final long serialVersionUID = 1L;

        private final DoneMarkers markers;
        private final ItemTask<T> task;
        private final TaskProgress progress;

        ItemAttempt(DoneMarkers markers, ItemTask<T> task, TaskProgress progress) {
            this.markers = markers;
            this.task = task;
            this.progress = progress;
        }

        @Override
        public Iterator<String> call(Iterator<T> items) throws Exception {
            if (!items.hasNext()) return List.<String>of().iterator();
            T item = items.next();
            if (items.hasNext()) throw new IllegalStateException("one partition holds items " + item.id() + " and " + items.next().id());
            String done = markers.read(item.id());
            if (done != null) return List.of(done).iterator(); // another attempt finished it
            String json;
            try {
                json = task.run(item, progress);
            } catch (RuntimeException e) {
                // Name what failed; the driver's TaskFailure reports it in one line.
                throw new TaskFailure.InTask(item.describe(), e);
            }
            markers.markDone(item.id(), json);
            return List.of(json).iterator();
        }
    }
}
