package org.dfcspark.organism;

import ai.djl.Device;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The organism's architecture and its model directories. A directory holds what Hugging Face and the
 * runtime read: config.json + model.safetensors (F32), generation_config.json, tokenizer.json and
 * tokenizer_config.json (with the chat template).
 */
public final class OrganismModel {
    public static final String BASE = "base";
    public static final String RL = "rl";
    public static final String RL_MID = "rl-mid";

    private OrganismModel() {}

    /** Qwen2 with 4 layers, hidden 128, 4 heads of 32, 2 KV heads, SwiGLU 344, tied embeddings, RoPE 1e4. */
    public static Qwen2Config config() {
        OrganismTokenizer t = OrganismTokenizer.get();
        return Qwen2Config.builder()
                .vocabSize(t.vocabSize())
                .hiddenSize(128)
                .numHiddenLayers(4)
                .numAttentionHeads(4)
                .numKeyValueHeads(2)
                .intermediateSize(344)
                .rmsNormEps(1e-6)
                .ropeTheta(10_000)
                .tieWordEmbeddings(true)
                .maxPositionEmbeddings(512)
                .bosTokenId(t.id(OrganismTokenizer.PAD))
                .eosTokenId(t.id(OrganismTokenizer.IM_END))
                .build();
    }

    /** A freshly initialised model (HF init, std 0.02), deterministic in the seed. */
    public static Qwen2Model random(long seed) {
        return Qwen2Model.random(config(), Device.cpu(), seed);
    }

    /** Writes the model with its generation config and tokenizer files into {@code dir}. */
    public static void save(Qwen2Model model, Path dir) throws IOException {
        Files.createDirectories(dir);
        model.save(dir);
        OrganismTokenizer t = OrganismTokenizer.get();
        t.writeTo(dir);
        Map<String, Object> gen = new LinkedHashMap<>();
        gen.put("bos_token_id", t.id(OrganismTokenizer.PAD));
        gen.put("eos_token_id", List.of(t.id(OrganismTokenizer.IM_END), t.id(OrganismTokenizer.PAD)));
        gen.put("pad_token_id", t.id(OrganismTokenizer.PAD));
        gen.put("do_sample", false);
        OrganismTokenizer.writeAtomically(dir.resolve("generation_config.json"),
                new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(gen));
    }
}
