package org.dfcspark.jobs.harvest;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.util.SerializableConfiguration;
import org.dfcspark.harvest.HarvestCounts;
import org.dfcspark.harvest.PairedHarvester;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.harvest.SinkDetector;
import org.dfcspark.jobs.ConcurrentJobs;
import org.dfcspark.jobs.work.ItemTask;
import org.dfcspark.jobs.work.TaskProgress;
import org.dfcspark.jobs.work.WorkQueue;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.testing.InjectedFaults;

/**
 * The work of one shard ({@link HarvestShard}), run by {@link WorkQueue} in a Spark task of its own. The shard's rows
 * go to one file per layer under a deterministic name, published by atomic rename; the queue then writes the done
 * marker this returns ({@link ShardSummary}). So a task retry, a speculative copy or a restarted harvest rewrites the
 * same files with the same rows, and a shard whose marker exists is never redone. Models A and B come from the JVM's
 * {@link ModelCache}: loaded once per executor and device, shared by its tasks.
 */
final class ShardTask implements ItemTask<HarvestShard> {
    private static final long serialVersionUID = 1L;

    private final HarvestOptions options;
    private final StoreLayout layout;
    private final SerializableConfiguration conf;
    private final int threads;
    private final int padId;
    private final InjectedFaults faults = InjectedFaults.fromSystemProperties(); // read on the driver, where the task is made

    ShardTask(HarvestOptions options, StoreLayout layout, Configuration conf, int threads, int padId) {
        this.options = options;
        this.layout = layout;
        this.conf = new SerializableConfiguration(conf);
        this.threads = threads;
        this.padId = padId;
    }

    @Override
    public String run(HarvestShard item, TaskProgress progress) throws IOException, InterruptedException {
        return run(item.shard(), new ArrayList<>(item.sequences()), conf.value(), progress).toJson();
    }

    private ShardSummary run(int shard, List<PreparedSequence> seqs, Configuration hadoop, TaskProgress progress)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        TaskContext ctx = TaskContext.get();
        int attempt = ctx == null ? 0 : ctx.attemptNumber();
        String tag = "attempt" + (ctx == null ? 0 : ctx.taskAttemptId());
        Device device = ExecutorRuntime.device(ctx);
        DataType dtype = "f16".equals(options.computeDtype()) ? DataType.FLOAT16 : DataType.FLOAT32;
        if (dtype == DataType.FLOAT16 && !device.isGpu()) {
            throw new IllegalArgumentException("--compute-dtype f16 needs a GPU, but this task has no gpu resource (runs on " + device + ")");
        }
        Qwen2Model a = ModelCache.get(Path.of(options.modelA()), device, dtype);
        Qwen2Model b = ModelCache.get(Path.of(options.modelB()), device, dtype);
        ExecutorRuntime.configure(device, threads); // after the loads: libtorch is initialised by then
        PairedHarvester harvester = new PairedHarvester(a, b, options.layers(), options.dtype(),
                new SinkDetector(options.sinkFactor()), options.sinkPolicy(), padId);

        // Similar lengths together: each forward pads to its longest sequence.
        seqs.sort(Comparator.comparingInt(PreparedSequence::length).thenComparingLong(PreparedSequence::ordinal));
        HarvestCounts counts = new HarvestCounts();
        Map<Integer, ActivationFileWriter> writers = new LinkedHashMap<>();
        ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "harvest-writer-shard-" + shard);
            t.setDaemon(true);
            return t;
        });
        try {
            for (int layer : options.layers()) {
                writers.put(layer, new ActivationFileWriter(layout.shardFile(layer, shard), tag, options.dtype(),
                        a.config().hiddenSize(), layer, hadoop));
            }
            // One batch is cut into rows, encoded and written (on the writer thread) while the next is forwarded; the
            // rows reach the files in batch order, as when done one after the other.
            Future<?> writing = null;
            for (int from = 0; from < seqs.size(); from += options.batchSize()) {
                List<PreparedSequence> batch = seqs.subList(from, Math.min(seqs.size(), from + options.batchSize()));
                long prompts = counts.prompts, tokens = counts.tokens;
                PairedHarvester.Forwarded forwarded = harvester.forward(batch, counts);
                if (faults.harvestBatchDelayMs() > 0) Thread.sleep(faults.harvestBatchDelayMs()); // test hook: a slow model
                finish(writing);
                writing = writer.submit(() -> {
                    forwarded.emit(row -> writers.get(row.layer()).write(row), counts);
                    return null;
                });
                progress.add("prompts", counts.prompts - prompts);
                progress.add("tokens", counts.tokens - tokens);
            }
            finish(writing);
            boolean first = true;
            for (ActivationFileWriter w : writers.values()) {
                w.commit();
                if (first && shard == faults.harvestFailShard() && attempt == 0) {
                    // Test hook: die after publishing part of the shard, the worst moment for exactly-once.
                    throw new IllegalStateException("injected failure in shard " + shard + " (first attempt, after one layer's file)");
                }
                first = false;
            }
        } finally {
            writer.shutdownNow();
            for (ActivationFileWriter w : writers.values()) w.close();
        }
        return new ShardSummary(shard, counts, device.toString(), attempt, (System.nanoTime() - start) / 1_000_000);
    }

    /** Waits for a batch's writing (none: {@code null}); its failure is rethrown as it was thrown. */
    private static void finish(Future<?> writing) throws IOException, InterruptedException {
        if (writing == null) return;
        try {
            writing.get();
        } catch (ExecutionException e) {
            throw ConcurrentJobs.rethrown(e);
        }
    }
}
