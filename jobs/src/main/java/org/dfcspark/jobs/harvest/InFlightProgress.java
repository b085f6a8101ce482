package org.dfcspark.jobs.harvest;

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
 * Prompts and tokens harvested by shard tasks that are still running, as they last reported them. A task adds to
 * two accumulators after every batch; executors send the current accumulator values of their running tasks with
 * every heartbeat ({@code spark.executor.heartbeatInterval}, 10 s by default), so the driver sees the work inside a
 * shard long before the shard commits. A task's entry is dropped when it ends: a finished shard is then counted by
 * its done marker, a failed attempt's work is redone by the retry.
 */
final class InFlightProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final LongAccumulator prompts;
    private final LongAccumulator tokens;
    private final Map<Long, long[]> running = new ConcurrentHashMap<>(); // task id -> {prompts, tokens}
    private final Set<Long> ended = ConcurrentHashMap.newKeySet(); // a heartbeat can arrive after its task's end

    InFlightProgress(SparkContext sc) {
        this.sc = sc;
        this.prompts = sc.longAccumulator("harvest prompts in flight");
        this.tokens = sc.longAccumulator("harvest tokens in flight");
        sc.addSparkListener(this);
    }

    /** What a shard task adds to after each batch. */
    Counters counters() {
        return new Counters(prompts, tokens);
    }

    /** {prompts, tokens} of the running tasks at their last heartbeat. */
    long[] total() {
        long[] sum = new long[2];
        for (long[] v : running.values()) {
            sum[0] += v[0];
            sum[1] += v[1];
        }
        return sum;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task : CollectionConverters.asJava(update.accumUpdates())) {
            long taskId = (Long) task._1();
            if (ended.contains(taskId)) continue;
            for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
                int slot = info.id() == prompts.id() ? 0 : info.id() == tokens.id() ? 1 : -1;
                if (slot >= 0 && info.update().isDefined()) {
                    running.computeIfAbsent(taskId, k -> new long[2])[slot] = ((Number) info.update().get()).longValue();
                }
            }
        }
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

    /** The task side: serialisable with the task closure. */
    record Counters(LongAccumulator prompts, LongAccumulator tokens) implements java.io.Serializable {
        void add(long p, long t) {
            prompts.add(p);
            tokens.add(t);
        }
    }
}
