package org.dfcspark.dfc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training-step throughput of the crosscoder (rows/s, GFLOP/s) next to the engine's dense matmul rate, on random
 * data. FLOPs are counted as the dense step a framework would do, 6·B·2d·D (forward encoder and decoder, backward
 * of both), the figure the PyTorch reference uses too, so "achieved GFLOP/s" is comparable across implementations.
 */
public final class CrosscoderBenchmark {

    public record Settings(int d, int dictSize, int k, int batch, int warmupSteps, int steps, int threads, long seed) {}

    public record Result(Settings settings, double rowsPerSecond, double stepMillis, double achievedGflops,
                         double matmulGflops, Map<String, Double> phaseMillis) {}

    /** The phase name of the encoder product in {@link BatchStep}'s timer. */
    public static final String ENCODER_PHASE = "encoder matmul";

    /** Where the encoder product runs on this JVM (see {@link VectorMatmul#PREFERRED}). */
    public static String encoderEngine() {
        return VectorMatmul.PREFERRED ? "Java vector units, 512-bit" : "libtorch";
    }

    private CrosscoderBenchmark() {}

    /** Dense FLOPs of one training step. */
    public static double stepFlops(Settings s) {
        return 6.0 * s.batch() * 2.0 * s.d() * s.dictSize();
    }

    public static Result run(Settings s) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(s.d(), s.dictSize(), s.k(), s.dictSize() / 10, s.dictSize() / 10);
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, s.seed());
        CrosscoderTrainer tr = new CrosscoderTrainer(cc, CrosscoderTrainer.Options.paper(1e-4), s.threads());
        SplittableRandom rng = new SplittableRandom(s.seed() + 1);
        int w = 2 * s.d();
        float[][] batches = new float[4][s.batch() * w];
        for (float[] b : batches) for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
        for (int i = 0; i < s.warmupSteps(); i++) tr.step(batches[i % batches.length], s.batch());
        tr.timer().reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < s.steps(); i++) {
            CrosscoderTrainer.StepResult r = tr.step(batches[i % batches.length], s.batch());
            if (r.status() != CrosscoderTrainer.Status.OK) throw new IllegalStateException("benchmark step failed: " + r.detail());
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        double stepSec = sec / s.steps();
        Map<String, Double> phases = new LinkedHashMap<>();
        tr.timer().millis().forEach((k, v) -> phases.put(k, v / s.steps()));
        return new Result(s, s.batch() / stepSec, stepSec * 1e3, stepFlops(s) / stepSec / 1e9, matmulGflops(2048, 3), phases);
    }

    /** Measured fp32 GFLOP/s of the engine's n×n×n matmul (best of {@code reps}). */
    public static double matmulGflops(int n, int reps) {
        SplittableRandom rng = new SplittableRandom(7);
        float[] a = new float[n * n], b = new float[n * n], out = new float[n * n];
        for (int i = 0; i < a.length; i++) { a[i] = (float) rng.nextGaussian(); b[i] = (float) rng.nextGaussian(); }
        TorchMatmul.linear(a, n, n, b, n, null, out);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            TorchMatmul.linear(a, n, n, b, n, null, out);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
