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
        return described(sc, description, () -> onePerPartition.mapPartitions(new ItemAttempt<>(markers, task, progress)).collect());
    }

    /**
     * Runs each pack of items (each a list of pending items) in a Spark task of its own: the task does the pack's
     * items that are not done yet together ({@link PackTask}) and marks each one it finished.
     *
     * @return the done marker JSON of every item finished, pack after pack
     */
    public static <T extends WorkItem> List<String> runPacked(SparkSession spark, String description, List<List<T>> packs, DoneMarkers markers,
                                                              PackTask<T> task, TaskProgress progress) {
        if (packs.isEmpty()) return List.of();
        JavaSparkContext sc = new JavaSparkContext(spark.sparkContext());
        List<ArrayList<T>> serialisable = new ArrayList<>();
        for (List<T> p : packs) serialisable.add(new ArrayList<>(p));
        return described(sc, description,
                () -> sc.parallelize(serialisable, serialisable.size()).mapPartitions(new PackAttempt<>(markers, task, progress)).collect());
    }

    /** Runs {@code job} with {@code description} as the Spark UI's job description, then restores the previous one. */
    private static List<String> described(JavaSparkContext sc, String description, java.util.function.Supplier<List<String>> job) {
        String before = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription(description);
        try {
            return job.get();
        } finally {
            sc.setLocalProperty("spark.job.description", before);
        }
    }

    /** One task attempt over a pack: the items already done are skipped, the rest done together and marked. */
    private static final class PackAttempt<T extends WorkItem> implements FlatMapFunction<Iterator<ArrayList<T>>, String> {
        private static final long serialVersionUID = 1L;

        private final DoneMarkers markers;
        private final PackTask<T> task;
        private final TaskProgress progress;

        PackAttempt(DoneMarkers markers, PackTask<T> task, TaskProgress progress) {
            this.markers = markers;
            this.task = task;
            this.progress = progress;
        }

        @Override
        public Iterator<String> call(Iterator<ArrayList<T>> packs) throws Exception {
            List<String> out = new ArrayList<>();
            while (packs.hasNext()) {
                List<T> todo = new ArrayList<>();
                for (T item : packs.next()) {
                    String done = markers.read(item.id());
                    if (done != null) out.add(done); // another attempt finished it
                    else todo.add(item);
                }
                if (todo.isEmpty()) continue;
                List<String> results;
                try {
                    results = task.run(todo, progress);
                } catch (RuntimeException e) {
                    throw new TaskFailure.InTask(todo.size() == 1 ? todo.get(0).describe() : todo.size() + " items (" + todo.get(0).describe() + ", ...)", e);
                }
                if (results.size() != todo.size()) throw new IllegalStateException("a pack task returned " + results.size() + " markers for " + todo.size() + " items");
                for (int i = 0; i < todo.size(); i++) {
                    if (results.get(i) == null) continue; // left pending
                    markers.markDone(todo.get(i).id(), results.get(i));
                    out.add(results.get(i));
                }
            }
            return out.iterator();
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
