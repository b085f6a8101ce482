package org.dfcspark.model;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Throughput of the runtime, measured the way {@code tools/reference/bench_forward_hf.py} measures HF transformers:
 * prefill = one forward over batch × promptLen tokens with logits at every position (HF {@code model(input_ids)}),
 * and again with logits at the last position only (HF {@code logits_to_keep=1}; what harvest and generation use),
 * median of {@code repeats} after a warm-up; decode = greedy steps with the KV cache after a promptLen prompt,
 * new tokens per second over the decode steps only, once with each {@link GenerationConfig.DecodeEngine} (the Java
 * step and libtorch's), with the weight bytes a step reads per second beside this machine's copy bandwidth.
 */
public final class ForwardBenchmark {
    /**
     * Decode figures are the Java step's ({@link GenerationConfig.DecodeEngine#AUTO} on a CPU float32 model) and, for
     * comparison, libtorch's; {@code weightGBps} = weight bytes read per step / step time (Java step).
     */
    public record Result(double prefillTokensPerSecond, double decodeTokensPerSecond, double prefillSeconds,
                         double decodeSecondsPerStep, GenerationConfig.DecodeEngine decodeEngine, double libtorchDecodeTokensPerSecond,
                         double weightGBps, double lastLogitsPrefillTokensPerSecond) {}

    private ForwardBenchmark() {}

    public static Result run(Qwen2Model model, int batch, int promptLen, int decodeSteps, int repeats, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) prompts.add(rng.ints(promptLen, 0, model.config().vocabSize()).toArray());
        TokenBatch tokens = TokenBatch.leftPadded(prompts, 0);

        double p = prefillSeconds(model, tokens, Qwen2Model.Logits.ALL, repeats);
        double pLast = prefillSeconds(model, tokens, Qwen2Model.Logits.LAST, repeats);
        // no EOS: every row runs all steps; the first new token comes from the prompt forward
        GenerationConfig greedy = GenerationConfig.greedy(decodeSteps + 1, List.of(), 0);
        Decode auto = decode(model, prompts, greedy, repeats);
        Decode torch = decode(model, prompts, greedy.withEngine(GenerationConfig.DecodeEngine.LIBTORCH), repeats);
        double d = auto.secondsPerStep();
        return new Result(batch * promptLen / p, batch / d, p, d, auto.engine(), batch / torch.secondsPerStep(),
                PackedModel.streamedBytesPerStep(model.config()) / d / 1e9, batch * promptLen / pLast);
    }

    /** Median seconds of one prompt forward with the given logits, after a warm-up. */
    private static double prefillSeconds(Qwen2Model model, TokenBatch tokens, Qwen2Model.Logits logits, int repeats) {
        double[] seconds = new double[repeats];
        for (int r = -1; r < repeats; r++) { // r = -1: warm-up
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                long t = System.nanoTime();
                model.forward(scope, tokens, List.of(), logits);
                if (r >= 0) seconds[r] = (System.nanoTime() - t) / 1e9;
            }
        }
        return median(seconds);
    }

    /** The median seconds per decode step and the engine that ran them. */
    private record Decode(double secondsPerStep, GenerationConfig.DecodeEngine engine) {}

    private static Decode decode(Qwen2Model model, List<int[]> prompts, GenerationConfig greedy, int repeats) {
        Generator.generate(model, prompts, greedy.withMaxNewTokens(Math.min(8, greedy.maxNewTokens())), List.of()); // warm-up (JIT)
        double[] perStep = new double[repeats];
        GenerationConfig.DecodeEngine engine = null;
        for (int r = 0; r < repeats; r++) {
            GenerationResult g = Generator.generate(model, prompts, greedy, List.of());
            perStep[r] = g.decodeSeconds() / Math.max(1, g.decodeSteps());
            engine = g.decodeEngine();
        }
        return new Decode(median(perStep), engine);
    }

    /** Bytes per second {@code System.arraycopy} copies between two 256 MB arrays on this machine (best of 5). */
    public static double copyBandwidth() {
        float[] a = new float[64 << 20], b = new float[64 << 20];
        Arrays.fill(a, 1f);
        double best = 0;
        for (int r = 0; r < 5; r++) {
            long t = System.nanoTime();
            System.arraycopy(a, 0, b, 0, a.length);
            best = Math.max(best, 4.0 * a.length / ((System.nanoTime() - t) / 1e9));
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
