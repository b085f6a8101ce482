package org.dfcspark.model;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Throughput of the runtime, measured the way {@code tools/reference/bench_forward_hf.py} measures HF transformers:
 * prefill = one forward over batch × promptLen tokens with logits at every position (HF {@code model(input_ids)}),
 * median of {@code repeats} after a warm-up; decode = greedy steps with the KV cache after a promptLen prompt,
 * new tokens per second over the decode steps only.
 */
public final class ForwardBenchmark {
    public record Result(double prefillTokensPerSecond, double decodeTokensPerSecond, double prefillSeconds,
                         double decodeSecondsPerStep) {}

    private ForwardBenchmark() {}

    public static Result run(Qwen2Model model, int batch, int promptLen, int decodeSteps, int repeats, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) prompts.add(rng.ints(promptLen, 0, model.config().vocabSize()).toArray());
        TokenBatch tokens = TokenBatch.leftPadded(prompts, 0);

        double[] prefill = new double[repeats];
        for (int r = -1; r < repeats; r++) { // r = -1: warm-up
            try (NDManager scope = NDManager.newBaseManager(model.device())) {
                long t = System.nanoTime();
                model.forward(scope, tokens, List.of(), Qwen2Model.Logits.ALL);
                if (r >= 0) prefill[r] = (System.nanoTime() - t) / 1e9;
            }
        }
        // no EOS: every row runs all steps; the first new token comes from the prompt forward
        GenerationConfig greedy = GenerationConfig.greedy(decodeSteps + 1, List.of(), 0);
        Generator.generate(model, prompts, greedy.withMaxNewTokens(Math.min(3, decodeSteps + 1)), List.of()); // warm-up
        double[] decode = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            GenerationResult g = Generator.generate(model, prompts, greedy, List.of());
            decode[r] = g.decodeSeconds() / Math.max(1, g.decodeSteps());
        }
        double p = median(prefill), d = median(decode);
        return new Result(batch * promptLen / p, batch / d, p, d);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
