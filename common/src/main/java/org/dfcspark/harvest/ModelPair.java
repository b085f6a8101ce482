package org.dfcspark.harvest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The check that models A and B can be harvested as a pair: both read the same token ids, and their residual
 * streams have the same shape, so a row (a, b) is meaningful. Refused with one line naming the difference:
 * another architecture (model type, layer count, heads, MLP width, vocabulary), another hidden size, or
 * another tokenizer (vocabulary, merges, added tokens, normalisation or pre-tokenisation).
 */
public final class ModelPair {
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /** Architecture fields that must be equal; all are top-level in both transformers-4 and -5 config.json forms. */
    private static final List<String> ARCHITECTURE = List.of("architectures", "model_type", "hidden_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size", "vocab_size");

    /** tokenizer.json sections that decide which ids a text becomes (truncation/padding/decoder do not). */
    private static final List<String> TOKENIZATION = List.of("model", "added_tokens", "normalizer", "pre_tokenizer");

    private ModelPair() {}

    /** Throws {@link IncompatibleModelsException} when A and B cannot be harvested together. */
    public static void check(Path modelA, Path modelB) {
        JsonNode a = readJson(modelA.resolve("config.json"));
        JsonNode b = readJson(modelB.resolve("config.json"));
        for (String field : ARCHITECTURE) {
            JsonNode va = a.get(field);
            JsonNode vb = b.get(field);
            if (!Objects.equals(va, vb)) {
                String what = field.equals("hidden_size") ? "different hidden sizes" : "different architectures";
                throw new IncompatibleModelsException("models A and B have " + what + ": " + field + " = " + text(va)
                        + " in " + modelA.resolve("config.json") + " but " + text(vb) + " in " + modelB.resolve("config.json"));
            }
        }
        String ta = tokenizerSha256(modelA);
        String tb = tokenizerSha256(modelB);
        if (!ta.equals(tb)) {
            throw new IncompatibleModelsException("models A and B have different tokenizers: "
                    + modelA.resolve("tokenizer.json") + " and " + modelB.resolve("tokenizer.json")
                    + " differ in " + firstDifference(modelA, modelB));
        }
    }

    /** sha256 of the tokenization-relevant sections of tokenizer.json, canonicalised (key order, whitespace). */
    public static String tokenizerSha256(Path modelDir) {
        JsonNode t = readJson(modelDir.resolve("tokenizer.json"));
        ObjectNode relevant = JSON.createObjectNode();
        for (String s : TOKENIZATION) relevant.set(s, t.get(s));
        return sha256(canonical(relevant));
    }

    /** sha256 of config.json canonicalised (key order, whitespace), for manifests. */
    public static String configSha256(Path modelDir) {
        return sha256(canonical(readJson(modelDir.resolve("config.json"))));
    }

    private static String firstDifference(Path modelA, Path modelB) {
        JsonNode a = readJson(modelA.resolve("tokenizer.json"));
        JsonNode b = readJson(modelB.resolve("tokenizer.json"));
        TreeSet<String> diff = new TreeSet<>();
        for (String s : TOKENIZATION) if (!Objects.equals(a.get(s), b.get(s))) diff.add(s);
        return String.join(", ", diff);
    }

    private static String canonical(JsonNode n) {
        try {
            Object plain = JSON.treeToValue(n, Object.class); // maps sort by key when written
            return JSON.writeValueAsString(plain);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(JsonNode n) {
        return n == null ? "(absent)" : n.toString();
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) throw new IncompatibleModelsException("missing file: " + file);
        try {
            return JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new IncompatibleModelsException(file + ": not valid JSON: " + m.lines().findFirst().orElse(m));
        }
    }

    /** A pair of models that cannot be harvested together, or a model directory that cannot be read. */
    public static final class IncompatibleModelsException extends IllegalArgumentException {
        public IncompatibleModelsException(String message) {
            super(message);
        }
    }
}
