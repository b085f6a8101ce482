package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Partition;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;

/**
 * The model pair and crosscoder {@code bin/dfc bench evaluate} runs its steering grid on. Prompts always come from
 * the organism's tables (its tool-test requests; its training tables for the ranking).
 *
 * <ul>
 *   <li>{@link #organism}: the organism's A (rl-mid or rl) and B (base), with a trained crosscoder;
 *   <li>{@link #randomQwen05b}: two random models of Qwen2.5-0.5B's shape (HF initialisation, seeds 1 and 2) with the
 *       organism's tokenizer and chat template, and a DFC initialised as the paper does (not trained) at the middle
 *       layer. A random model's text is noise, but it costs what a real 0.5B model costs: the same products, and no
 *       early stop (it almost never draws EOS, so every generation runs to max_new_tokens).
 * </ul>
 *
 * @param rankingLimit ranking prompts per set (tool, generic)
 */
public record BenchPair(String name, Path modelA, Path modelB, Path crosscoder, String hook, int rankingLimit) {
    /**
     * The random pair's crosscoder: D 2048, 3% of the dictionary exclusive to each model (the paper's excl3), k 128: an
     * untrained code must fire each exclusive feature on a few ranking prompts for the ranking to find tool-signed ones.
     */
    static final int RANDOM_DICT = 2048, RANDOM_K = 128, RANDOM_EXCLUSIVE = 61;

    public static BenchPair organism(Path organism, String modelA, Path crosscoder, String hook) {
        return new BenchPair("organism (A = " + modelA + ")", organism.resolve(modelA), organism.resolve("base"), crosscoder, hook, 48);
    }

    /** The random pair under {@code dir}, made on first use (about 4 GB of float32 weights) and reused after. */
    public static BenchPair randomQwen05b(Path dir, Path organism, Consumer<String> log) throws IOException {
        Qwen2Config cfg = Qwen2Config.qwen25HalfBillionShape().bosTokenId(0).eosTokenId(2).build();
        String hook = HookPoint.residPost(cfg.numHiddenLayers() / 2).name();
        Path a = model(dir.resolve("model-a"), cfg, 1, organism.resolve("base"), log);
        Path b = model(dir.resolve("model-b"), cfg, 2, organism.resolve("base"), log);
        Path cc = dir.resolve("dfc-D2k-excl3-k128");
        if (!Files.exists(cc.resolve("config.json"))) {
            CrosscoderConfig c = CrosscoderConfig.paper(cfg.hiddenSize(), RANDOM_DICT, RANDOM_K, RANDOM_EXCLUSIVE, RANDOM_EXCLUSIVE)
                    .withProvenance(Map.of("hook", hook, "note", "initialised as the paper does, not trained (bench evaluate's random pair)"));
            Checkpoint.save(untrained(c, 3), cc, List.of());
        }
        return new BenchPair("random Qwen2.5-0.5B shape", a, b, cc, hook, 32);
    }

    /**
     * The paper's initialisation (W_enc ~ N(0,1)/√d, W_dec ~ N(0,1)/√D, biases 0), each exclusive feature's encoder row
     * scaled by √2: it reads one model's half where a shared feature reads both, and would otherwise lose the top k to
     * them on every input.
     */
    static Crosscoder untrained(CrosscoderConfig c, long seed) {
        int d = c.activationDim(), dict = c.dictSize();
        Partition p = c.partition();
        SplittableRandom rng = new SplittableRandom(seed);
        float[] wEnc = new float[2 * d * dict], wDec = new float[dict * 2 * d];
        for (int m = 0; m < 2; m++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < dict; j++) {
                    double scale = (p.isShared(j) ? 1 : Math.sqrt(2)) / Math.sqrt(d);
                    if (p.allowed(m, j)) wEnc[(m * d + i) * dict + j] = (float) (rng.nextGaussian() * scale);
                }
            }
        }
        for (int j = 0; j < dict; j++) {
            for (int m = 0; m < 2; m++) {
                for (int i = 0; i < d; i++) if (p.allowed(m, j)) wDec[(j * 2 + m) * d + i] = (float) (rng.nextGaussian() / Math.sqrt(dict));
            }
        }
        return Crosscoder.fromPaperTensors(c, wEnc, new float[dict], wDec, new float[2 * d]);
    }

    /** A random model of {@code cfg}'s shape with {@code tokenizerFrom}'s tokenizer files, made once per seed. */
    private static Path model(Path dir, Qwen2Config cfg, long seed, Path tokenizerFrom, Consumer<String> log) throws IOException {
        Path stamp = dir.resolve("bench-model.json");
        String want = cfg.toJson() + "\nseed " + seed;
        if (Files.exists(stamp) && Files.readString(stamp).equals(want)) return dir;
        log.accept("bench evaluate: making random model " + dir + " (seed " + seed + ")");
        try (Qwen2Model m = Qwen2Model.random(cfg, Device.cpu(), seed)) {
            m.save(dir);
        }
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(tokenizerFrom.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(stamp, want);
        return dir;
    }
}
