package org.dfcspark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link Generator} continues prompts: greedy (HF {@code do_sample=False}) or seeded sampling with
 * temperature and top-p (HF's {@code TopPLogitsWarper} rule); stop on any EOS id or after
 * {@code maxNewTokens}. Seeded sampling draws each row from its own stream ({@code seed}, row index), so the same
 * seed gives the same tokens on every run (the stream is Java's, not torch's: it does not reproduce HF samples).
 */
public record GenerationConfig(int maxNewTokens, List<Integer> eosTokenIds, int padTokenId, boolean sample,
                               double temperature, double topP, long seed, boolean keepStepLogits, DecodeEngine engine) {
    /**
     * What computes the decode steps. {@code AUTO}: {@link CpuDecoder} (Java) for a float32 model on the CPU whose
     * packed copy fits the heap, libtorch otherwise (every GPU model). {@code LIBTORCH} pins libtorch, e.g. where
     * a result must stay bit-identical to one produced before the Java path existed (the shipped organism's build).
     * The two agree to float rounding (greedy output token-identical in the parity tests), not bit for bit.
     */
    public enum DecodeEngine { AUTO, LIBTORCH, JAVA }

    private static final ObjectMapper JSON = new ObjectMapper();

    public GenerationConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        if (sample && !(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0 for sampling, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        eosTokenIds = List.copyOf(eosTokenIds);
        if (engine == null) throw new IllegalArgumentException("decode engine must be given (AUTO by default)");
    }

    public static GenerationConfig greedy(int maxNewTokens, List<Integer> eosTokenIds, int padTokenId) {
        return new GenerationConfig(maxNewTokens, eosTokenIds, padTokenId, false, 1.0, 1.0, 0L, false, DecodeEngine.AUTO);
    }

    /**
     * Greedy with the EOS and pad ids of a model directory: {@code generation_config.json} when present, else
     * {@code config.json}; pad falls back to the first EOS id, as HF generate does.
     */
    public static GenerationConfig forModel(Path dir, int maxNewTokens) throws IOException {
        List<Integer> eos = new ArrayList<>();
        Integer pad = null;
        for (String f : new String[] {"generation_config.json", "config.json"}) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) continue;
            JsonNode root;
            try {
                root = JSON.readTree(p.toFile());
            } catch (IOException e) {
                throw new ModelFormatException(p + ": not valid JSON");
            }
            if (eos.isEmpty()) {
                JsonNode e = root.get("eos_token_id");
                if (e != null && e.isArray()) e.forEach(x -> eos.add(x.asInt()));
                else if (e != null && e.canConvertToInt()) eos.add(e.asInt());
            }
            JsonNode pd = root.get("pad_token_id");
            if (pad == null && pd != null && pd.canConvertToInt()) pad = pd.asInt();
        }
        int padId = pad != null ? pad : eos.isEmpty() ? 0 : eos.get(0);
        return greedy(maxNewTokens, eos, padId);
    }

    public GenerationConfig withSampling(double temperature, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, eosTokenIds, padTokenId, true, temperature, topP, seed, keepStepLogits, engine);
    }

    public GenerationConfig withEos(List<Integer> ids) {
        return new GenerationConfig(maxNewTokens, ids, padTokenId, sample, temperature, topP, seed, keepStepLogits, engine);
    }

    public GenerationConfig withPad(int id) {
        return new GenerationConfig(maxNewTokens, eosTokenIds, id, sample, temperature, topP, seed, keepStepLogits, engine);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, eosTokenIds, padTokenId, sample, temperature, topP, seed, keepStepLogits, engine);
    }

    /** Also return the raw logits of every step (memory: steps × vocab floats per row). */
    public GenerationConfig withStepLogits(boolean keep) {
        return new GenerationConfig(maxNewTokens, eosTokenIds, padTokenId, sample, temperature, topP, seed, keep, engine);
    }

    public GenerationConfig withEngine(DecodeEngine e) {
        return new GenerationConfig(maxNewTokens, eosTokenIds, padTokenId, sample, temperature, topP, seed, keepStepLogits, e);
    }
}
