package org.dfcspark.jobs.work;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The units (prompts, tokens, ...) done by item tasks that are still running, as they last reported them. A task
 * adds to one accumulator per counter ({@link TaskProgress}); executors send the current accumulator values of
 * their running tasks with every heartbeat ({@code spark.executor.heartbeatInterval}, 10 s by default), so the
 * driver sees the work inside an item long before the item is done. A task's entry is dropped when it ends: a
 * finished item is then counted by its done marker, a failed attempt's work is redone by the retry.
 */
public final class InFlightProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final String job;
    private final List<String> names;
    private final Map<String, LongAccumulator> counters = new LinkedHashMap<>();
    private final Map<Long, long[]> running = new ConcurrentHashMap<>(); // task id -> one value per counter
    private final Set<Long> ended = ConcurrentHashMap.newKeySet(); // a heartbeat can arrive after its task's end

    /** @param counters the names of the units the tasks count, in the order {@link #total()} returns them */
    public InFlightProgress(SparkContext sc, String job, List<String> counters) {
        this.sc = sc;
        this.job = job;
        this.names = List.copyOf(counters);
        for (String name : names) this.counters.put(name, sc.longAccumulator(job + " " + name + " in flight"));
        sc.addSparkListener(this);
    }

    /** The job's name ("harvest"), for its log lines. */
    public String job() {
        return job;
    }

    /** What the item tasks add to. */
    public TaskProgress taskProgress() {
        return new TaskProgress(counters);
    }

    /** One value per counter: the sums over the running tasks at their last heartbeat. */
    public long[] total() {
        long[] sum = new long[names.size()];
        for (long[] v : running.values()) {
            for (int i = 0; i < sum.length; i++) sum[i] += v[i];
        }
        return sum;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task : CollectionConverters.asJava(update.accumUpdates())) {
            long taskId = (Long) task._1();
            if (ended.contains(taskId)) continue;
            for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
                int slot = slotOf(info.id());
                if (slot >= 0 && info.update().isDefined()) {
                    running.computeIfAbsent(taskId, k -> new long[names.size()])[slot] = ((Number) info.update().get()).longValue();
                }
            }
        }
    }

    private int slotOf(long accumulatorId) {
        for (int i = 0; i < names.size(); i++) if (counters.get(names.get(i)).id() == accumulatorId) return i;
        return -1;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        long taskId = end.taskInfo().taskId();
        ended.add(taskId);
        running.remove(taskId);
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
