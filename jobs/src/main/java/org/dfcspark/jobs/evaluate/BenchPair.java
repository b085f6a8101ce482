package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Init;
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
    /** The random pair's crosscoder: D 2048, k 16, 3% of the dictionary exclusive to each model (the paper's excl3). */
    static final int RANDOM_DICT = 2048, RANDOM_K = 16, RANDOM_EXCLUSIVE = 61;

    public static BenchPair organism(Path organism, String modelA, Path crosscoder, String hook) {
        return new BenchPair("organism (A = " + modelA + ")", organism.resolve(modelA), organism.resolve("base"), crosscoder, hook, 48);
    }

    /** The random pair under {@code dir}, made on first use (about 4 GB of float32 weights) and reused after. */
    public static BenchPair randomQwen05b(Path dir, Path organism, Consumer<String> log) throws IOException {
        Qwen2Config cfg = Qwen2Config.qwen25HalfBillionShape().bosTokenId(0).eosTokenId(2).build();
        String hook = HookPoint.residPost(cfg.numHiddenLayers() / 2).name();
        Path a = model(dir.resolve("model-a"), cfg, 1, organism.resolve("base"), log);
        Path b = model(dir.resolve("model-b"), cfg, 2, organism.resolve("base"), log);
        Path cc = dir.resolve("dfc-D2k-excl3-k16");
        if (!Files.exists(cc.resolve("config.json"))) {
            CrosscoderConfig c = CrosscoderConfig.paper(cfg.hiddenSize(), RANDOM_DICT, RANDOM_K, RANDOM_EXCLUSIVE, RANDOM_EXCLUSIVE)
                    .withProvenance(Map.of("hook", hook, "note", "initialised as the paper does, not trained (bench evaluate's random pair)"));
            Crosscoder x = new Crosscoder(c);
            Init.weights(x, Init.Weights.PAPER, 3);
            Checkpoint.save(x, cc, List.of());
        }
        return new BenchPair("random Qwen2.5-0.5B shape", a, b, cc, hook, 16);
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
