package org.dfcspark.jobs.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.RabitTracker;
import org.apache.spark.BarrierTaskContext;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderSnapshot;
import org.dfcspark.dfc.train.AllReduce;
import org.dfcspark.dfc.train.ReplicaTrainer;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.testing.InjectedFaults;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One replica of a data-parallel training run: a task of a barrier stage. Replica 0 starts the all-reduce tracker on
 * its executor and tells the others where it is through the barrier's allGather (a few bytes; the gradients go through
 * the all-reduce ring, never through the driver); every replica joins, runs {@link ReplicaTrainer} (which resumes from
 * the checkpoint in {@code out} if there is one) and returns its result as JSON. A new stage attempt after a failure
 * starts a new tracker, so Spark's retry of the barrier stage continues from the last checkpoint.
 *
 * <p>The replica's data comes from a {@link DataOpener} given the partition's rows: {@code bin/dfc train} ignores them
 * and reads its units of the store, the Spark ML estimator's partitions are the rows. Without an output directory
 * nothing is written and replica 0 returns the trained crosscoder in its result.
 *
 * @param <T> the type of the barrier stage's partition rows
 */
public final class ReplicaTask<T> extends AbstractFunction1<Iterator<T>, Iterator<ReplicaTask.Result>> implements Serializable {
    /** A replica's data, opened on the executor from its partition's rows. */
    public interface DataOpener<T> extends Serializable {
        UnitSource open(java.util.Iterator<T> partitionRows) throws java.io.IOException;
    }

    /** What a replica reports: its summary as JSON; the crosscoder it trained (replica 0 without an output directory), else null. */
    public record Result(String json, CrosscoderSnapshot crosscoder) implements Serializable {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TRACKER_TIMEOUT_S = 300;

    private final String trainConfigJson;
    private final String crosscoderConfigJson;
    private final DataOpener<T> data;
    private final String out;
    private final int threads;
    private final InjectedFaults faults = InjectedFaults.fromSystemProperties(); // read on the driver, where the task is made

    /** @param out the checkpoint directory, or null to write nothing (replica 0 then returns the crosscoder) */
    public ReplicaTask(TrainConfig cfg, CrosscoderConfig ccConfig, DataOpener<T> data, Path out, int threads) {
        this.trainConfigJson = cfg.toJson();
        this.crosscoderConfigJson = ccConfig.toJson();
        this.data = data;
        this.out = out == null ? null : out.toString();
        this.threads = threads;
    }

    @Override
    public Iterator<Result> apply(Iterator<T> rows) {
        try {
            return CollectionConverters.asScala(List.of(run(CollectionConverters.asJava(rows))).iterator());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private Result run(java.util.Iterator<T> rows) throws Exception {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        TrainConfig cfg = TrainConfig.fromJson(trainConfigJson, "training config");
        CrosscoderConfig ccConfig = CrosscoderConfig.fromJson(crosscoderConfigJson, "crosscoder config");
        int replicas = cfg.replicas(), partition = ctx.partitionId();
        RabitTracker tracker = null;
        String trackerArgs = "";
        if (partition == 0 && replicas > 1) {
            String address = ctx.getTaskInfos()[0].address();
            String host = address.contains(":") ? address.substring(0, address.lastIndexOf(':')) : address;
            tracker = XgbAllReduce.startTracker(replicas, host, TRACKER_TIMEOUT_S);
            trackerArgs = JSON.writeValueAsString(XgbAllReduce.workerArgs(tracker));
        }
        String[] gathered = replicas > 1 ? ctx.allGather(trackerArgs) : new String[] {""};
        ai.djl.engine.Engine.getEngine("PyTorch"); // libtorch loaded before its thread count is set
        ExecutorRuntime.configure(ExecutorRuntime.device(ctx), threads);
        AllReduce comm = null;
        try (UnitSource source = data.open(rows)) {
            if (replicas > 1) {
                @SuppressWarnings("unchecked")
                Map<String, Object> args = JSON.readValue(gathered[0], Map.class);
                comm = XgbAllReduce.join(args, partition, replicas);
            } else {
                comm = AllReduce.single();
            }
            Path outDir = out == null ? null : Path.of(out);
            long failAt = partition == 0 && outDir != null && injectFailureOnce(outDir) ? faults.trainFailAtStep() : -1;
            ReplicaTrainer trainer = new ReplicaTrainer(cfg, ccConfig, source, comm, outDir, partition == 0 ? System.err : null, threads, failAt)
                    .slowedBy(faults.trainStepDelayMs());
            ReplicaTrainer.Result r = trainer.run();
            CrosscoderSnapshot trained = outDir == null && comm.rank() == 0 ? CrosscoderSnapshot.of(trainer.crosscoder()) : null;
            return new Result(JSON.writeValueAsString(Map.of("rank", comm.rank(), "steps", r.steps(), "bad_rows", r.badRows(),
                    "rows_per_s", r.rowsPerSecond(), "allreduce_ms_per_step", r.allReduceMsPerStep(), "wait_ms_per_step", r.waitMsPerStep(), "bytes_per_step", r.bytesPerStep(),
                    "stopped", r.stopped() == null ? "" : r.stopped(), "resumed_from", r.resumedFrom())), trained);
        } finally {
            // Clean-up after a failure must not hide it: a tracker whose peer died reports an error of its own.
            if (comm instanceof XgbAllReduce x) quietly(x::close);
            if (tracker != null) quietly(tracker::stop);
        }
    }

    private interface Cleanup {
        void run() throws Exception;
    }

    private static void quietly(Cleanup c) {
        try {
            c.run();
        } catch (Exception e) {
            System.err.println("train: all-reduce clean-up: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Tests: the first run over {@code out} fails once at train.fail-at-step (a marker beside out remembers it did). */
    private boolean injectFailureOnce(Path out) throws java.io.IOException {
        if (!faults.failsTraining(null)) return false;
        Path marker = out.toAbsolutePath().getParent().resolve("." + out.getFileName() + ".injected-failure");
        if (Files.exists(marker)) return false;
        Files.createDirectories(marker.getParent());
        Files.writeString(marker, "failed once at step " + faults.trainFailAtStep() + "\n");
        return true;
    }
}
