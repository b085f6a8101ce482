package org.dfcspark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.dfcspark.dfc.CrosscoderBenchmark;
import org.dfcspark.jobs.PythonReference;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/**
 * {@code bin/dfc bench crosscoder}: training-step throughput of our crosscoder and, with {@code --python}, of the two
 * PyTorch reference variants (tools/reference/bench_crosscoder_torch.py) in the same run, with the ratio.
 */
public final class BenchCrosscoderCommand implements Command {

    @Override
    public String summary() {
        return "benchmark the crosscoder training step (rows/s, GFLOP/s) against PyTorch";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc bench crosscoder [--d 512] [--dict-size 8192] [--k 64] [--batch 1024] [--steps 10] [--warmup 3]
                         [--threads 2] [--python PATH]
                Paper loss, per-sample TopK, fp32. Prints rows/s, achieved GFLOP/s (6·B·2d·D per step, the dense count)
                and the engine's measured 2048^3 matmul GFLOP/s. With --python (a Python with torch, see
                tools/reference/bench_crosscoder_torch.py) also runs PyTorch's dense-decoder and sparse-decoder variants
                with the same settings and thread count, and prints our ratio to the best of them.""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("d", "dict-size", "k", "batch", "steps", "warmup", "threads", "python");
    }

    @Override
    public int run(Args a) throws Exception {
        int d = CrosscoderCli.positive(a, "d", 512), dict = CrosscoderCli.positive(a, "dict-size", 8192);
        int k = CrosscoderCli.positive(a, "k", 64), batch = CrosscoderCli.positive(a, "batch", 1024);
        int steps = CrosscoderCli.positive(a, "steps", 10), warmup = a.getInt("warmup", 3), threads = a.getInt("threads", 2);
        if (k > dict) throw new UsageException("--k must be <= --dict-size");
        var s = new CrosscoderBenchmark.Settings(d, dict, k, batch, warmup, steps, threads, 1);
        System.out.printf(Locale.ROOT, "crosscoder training step: d=%d D=%d k=%d batch=%d, paper loss, fp32, %d threads, allocator: %s%n",
                d, dict, k, batch, threads, PythonReference.allocatorSettings());
        CrosscoderBenchmark.Result r = CrosscoderBenchmark.run(s);
        System.out.printf(Locale.ROOT, "  dfc-spark (encoder product on %s): %8.0f rows/s  %7.1f ms/step  %6.1f GFLOP/s%n",
                CrosscoderBenchmark.encoderEngine(), r.rowsPerSecond(), r.stepMillis(), r.achievedGflops());
        System.out.printf(Locale.ROOT, "  engine matmul 2048^3 (libtorch via DJL): %.1f GFLOP/s%n", r.matmulGflops());
        // the encoder product's dense FLOPs over its phase's time (copies in and out included: libtorch's staging, or
        // the Java product's packing of x)
        double ourEncoder = 2.0 * batch * 2 * d * dict / (r.phaseMillis().getOrDefault(CrosscoderBenchmark.ENCODER_PHASE, Double.NaN) / 1e3) / 1e9;
        System.out.printf(Locale.ROOT, "  encoder product in the step: %.1f GFLOP/s%n", ourEncoder);
        System.out.println("  where the time goes (ms per step):");
        r.phaseMillis().forEach((k2, v) -> System.out.printf(Locale.ROOT, "    %-40s %7.1f%n", k2, v));
        if (a.has("python")) {
            for (PythonReference.Allocator allocator : PythonReference.allocators()) {
                System.out.println("  PyTorch, " + allocator.description + ":");
                double best = 0, torchEncoder = Double.NaN;
                String bestName = "";
                for (JsonNode t : runTorch(a.get("python"), s, allocator)) {
                    System.out.printf(Locale.ROOT, "    %-50s %8.0f rows/s  %7.1f ms/step  %6.1f GFLOP/s%n",
                            t.get("variant").asText(), t.get("rows_per_s").asDouble(), t.get("ms_per_step").asDouble(), t.get("gflops").asDouble());
                    torchEncoder = t.get("encoder_matmul_gflops").asDouble();
                    if (t.get("rows_per_s").asDouble() > best) {
                        best = t.get("rows_per_s").asDouble();
                        bestName = t.get("variant").asText();
                    }
                }
                System.out.printf(Locale.ROOT, "    ratio dfc-spark / best PyTorch (%s): %.2fx (target >= 1.7)%n", bestName, r.rowsPerSecond() / best);
                System.out.printf(Locale.ROOT, "    encoder product: ours %.1f GFLOP/s in the step (copies included), PyTorch's addmm alone %.1f GFLOP/s: %.0f%% (target >= 85%%)%n",
                        ourEncoder, torchEncoder, 100 * ourEncoder / torchEncoder);
            }
        }
        return 0;
    }

    private static List<JsonNode> runTorch(String python, CrosscoderBenchmark.Settings s, PythonReference.Allocator allocator) throws Exception {
        return PythonReference.run(python, "bench_crosscoder_torch.py", List.of("--d", "" + s.d(), "--dict-size", "" + s.dictSize(),
                "--k", "" + s.k(), "--batch", "" + s.batch(), "--steps", "" + s.steps(), "--warmup", "" + s.warmupSteps(),
                "--threads", "" + s.threads(), "--json"), allocator, 60);
    }
}
