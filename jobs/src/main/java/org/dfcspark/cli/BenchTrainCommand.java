package org.dfcspark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.jobs.train.TrainBench;

/** {@code bin/dfc bench train}: data-parallel scaling of crosscoder training on a local standalone cluster (1 vs 2 workers). */
public final class BenchTrainCommand implements Command {

    @Override
    public String summary() {
        return "benchmark data-parallel crosscoder training: 1 vs 2 workers of a standalone cluster, all-reduce, reader";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc bench train [--d 512] [--dict-size 8192] [--k 64] [--rows 4096] [--steps 8] [--measured 4]
                         [--worker-memory 6g] [--work DIR]
                Starts a Spark standalone cluster here (master + 1 worker x 1 core, then + 2 workers x 1 core; child JVMs from
                the build's jars), trains the paper's crosscoder (TopK, paper loss, synchronous) on a synthetic f16 store of
                d-dimensional rows with --rows rows per replica per step, and prints rows/s of the last --measured steps for
                each, the scaling efficiency (rows/s with 2 / (2 x rows/s with 1)), the all-reduce's ms and MB per step, and the
                store reader's rows/s (ours and Spark's Parquet reader, one thread each). Run it alone on a quiet machine.""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("d", "dict-size", "k", "rows", "steps", "measured", "worker-memory", "work");
    }

    @Override
    public int run(Args a) throws Exception {
        int steps = a.getInt("steps", 8), measured = a.getInt("measured", 4);
        if (measured < 1 || measured >= steps) throw new UsageException("--measured must be in [1, steps), got " + measured);
        Path work = a.has("work") ? Path.of(a.get("work")) : Files.createTempDirectory("dfc-bench-train");
        Files.createDirectories(work);
        TrainBench.run(new TrainBench.Settings(a.getInt("d", 512), a.getInt("dict-size", 8192), a.getInt("k", 64), a.getInt("rows", 4096),
                steps, measured, work.toAbsolutePath(), a.get("worker-memory", "6g")), System.out);
        return 0;
    }
}
