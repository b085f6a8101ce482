package org.dfcspark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The architecture fields of a Hugging Face {@code Qwen2ForCausalLM} {@code config.json}, named as in the file.
 *
 * <p>Both forms transformers writes are read: transformers 4 (top-level {@code rope_theta}, {@code torch_dtype},
 * often {@code sliding_window: 32768} with {@code use_sliding_window: false}) and transformers 5
 * ({@code rope_parameters: {rope_theta, rope_type}}, {@code dtype}). Anything this runtime would compute
 * differently from HF (another architecture, a non-default RoPE, an active sliding window, another activation)
 * is rejected with one line naming the file and field.
 */
public final class Qwen2Config {
    public static final String ARCHITECTURE = "Qwen2ForCausalLM";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int hiddenSize;
    private final int numHiddenLayers;
    private final int numAttentionHeads;
    private final int numKeyValueHeads;
    private final int headDim;
    private final int intermediateSize;
    private final int vocabSize;
    private final double ropeTheta;
    private final double rmsNormEps;
    private final boolean tieWordEmbeddings;
    private final int maxPositionEmbeddings;
    private final List<Integer> eosTokenIds;
    private final Integer bosTokenId;

    private Qwen2Config(Builder b) {
        this.hiddenSize = b.hiddenSize;
        this.numHiddenLayers = b.numHiddenLayers;
        this.numAttentionHeads = b.numAttentionHeads;
        this.numKeyValueHeads = b.numKeyValueHeads;
        this.headDim = b.headDim > 0 ? b.headDim : b.hiddenSize / Math.max(1, b.numAttentionHeads);
        this.intermediateSize = b.intermediateSize;
        this.vocabSize = b.vocabSize;
        this.ropeTheta = b.ropeTheta;
        this.rmsNormEps = b.rmsNormEps;
        this.tieWordEmbeddings = b.tieWordEmbeddings;
        this.maxPositionEmbeddings = b.maxPositionEmbeddings;
        this.eosTokenIds = List.copyOf(b.eosTokenIds);
        this.bosTokenId = b.bosTokenId;
    }

    /** Reads {@code dir/config.json}. */
    public static Qwen2Config load(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found (not a Hugging Face model directory?)");
        }
        return parse(text, file.toString());
    }

    /** Parses config.json text; {@code source} names the file in error messages. */
    public static Qwen2Config parse(String text, String source) throws ModelFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": not a JSON object");
        JsonNode arch = root.get("architectures");
        String modelType = root.path("model_type").asText("");
        if (arch != null && arch.isArray() && arch.size() > 0) {
            boolean ok = false;
            for (JsonNode a : arch) ok |= ARCHITECTURE.equals(a.asText());
            if (!ok) throw new ModelFormatException(source + ": unknown architecture " + arch + " (supported: " + ARCHITECTURE + ")");
        } else if (!modelType.equals("qwen2")) {
            throw new ModelFormatException(source + ": unknown architecture (no 'architectures' and model_type '" + modelType
                    + "'; supported: " + ARCHITECTURE + ")");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new ModelFormatException(source + ": unsupported hidden_act '" + act + "' (Qwen2 uses silu)");
        if (root.path("use_sliding_window").asBoolean(false)) {
            throw new ModelFormatException(source + ": use_sliding_window=true is not supported (full attention only)");
        }

        Builder b = new Builder();
        b.hiddenSize = requiredInt(root, "hidden_size", source);
        b.numHiddenLayers = requiredInt(root, "num_hidden_layers", source);
        b.numAttentionHeads = requiredInt(root, "num_attention_heads", source);
        b.numKeyValueHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? requiredInt(root, "num_key_value_heads", source) : b.numAttentionHeads;
        b.headDim = root.has("head_dim") && !root.get("head_dim").isNull() ? requiredInt(root, "head_dim", source) : 0;
        b.intermediateSize = requiredInt(root, "intermediate_size", source);
        b.vocabSize = requiredInt(root, "vocab_size", source);
        b.rmsNormEps = root.path("rms_norm_eps").asDouble(1e-6);
        b.tieWordEmbeddings = root.path("tie_word_embeddings").asBoolean(false);
        b.maxPositionEmbeddings = root.path("max_position_embeddings").asInt(32768);

        // RoPE: transformers 5 nests it in rope_parameters (or rope_scaling); transformers 4 has it at the top.
        JsonNode rope = root.has("rope_parameters") && root.get("rope_parameters").isObject() ? root.get("rope_parameters")
                : root.has("rope_scaling") && root.get("rope_scaling").isObject() ? root.get("rope_scaling") : null;
        if (rope != null) {
            String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
            if (!type.equals("default")) throw new ModelFormatException(source + ": unsupported rope_type '" + type + "' (only default RoPE)");
        }
        if (rope != null && rope.has("rope_theta")) b.ropeTheta = rope.get("rope_theta").asDouble();
        else if (root.has("rope_theta")) b.ropeTheta = root.get("rope_theta").asDouble();
        else b.ropeTheta = 10000.0;

        JsonNode eos = root.get("eos_token_id");
        if (eos != null && eos.isArray()) eos.forEach(e -> b.eosTokenIds.add(e.asInt()));
        else if (eos != null && eos.canConvertToInt()) b.eosTokenIds.add(eos.asInt());
        JsonNode bos = root.get("bos_token_id");
        b.bosTokenId = bos != null && bos.canConvertToInt() ? bos.asInt() : null;
        return b.build(source);
    }

    private static int requiredInt(JsonNode root, String field, String source) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) throw new ModelFormatException(source + ": missing field '" + field + "'");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new ModelFormatException(source + ": field '" + field + "' is not an integer: " + v);
        return v.asInt();
    }

    public int hiddenSize() { return hiddenSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public int numKeyValueHeads() { return numKeyValueHeads; }
    public int headDim() { return headDim; }
    public int intermediateSize() { return intermediateSize; }
    public int vocabSize() { return vocabSize; }
    public double ropeTheta() { return ropeTheta; }
    public double rmsNormEps() { return rmsNormEps; }
    public boolean tieWordEmbeddings() { return tieWordEmbeddings; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    /** EOS ids from config.json (generation_config.json may add more; see {@link GenerationConfig}). */
    public List<Integer> eosTokenIds() { return eosTokenIds; }
    public Integer bosTokenId() { return bosTokenId; }

    /**
     * HF config.json text. Carries both RoPE spellings ({@code rope_theta} and {@code rope_parameters}) and both
     * dtype keys so transformers 4 and 5 read it alike.
     */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(ARCHITECTURE);
        o.put("model_type", "qwen2");
        o.put("hidden_act", "silu");
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("head_dim", headDim);
        o.put("vocab_size", vocabSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        ObjectNode rp = o.putObject("rope_parameters");
        rp.put("rope_theta", ropeTheta);
        rp.put("rope_type", "default");
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("use_sliding_window", false);
        o.putNull("sliding_window");
        o.put("attention_dropout", 0.0);
        if (bosTokenId != null) o.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) o.put("eos_token_id", eosTokenIds.get(0));
        else if (!eosTokenIds.isEmpty()) eosTokenIds.forEach(o.withArray("eos_token_id")::add);
        o.put("torch_dtype", "float32");
        o.put("dtype", "float32");
        o.put("use_cache", true);
        try {
            return JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 (hex) of the architecture fields in a fixed order: equal for configs that compute the same function. */
    public String sha256() {
        String canonical = String.join(",", "qwen2", "" + hiddenSize, "" + numHiddenLayers, "" + numAttentionHeads,
                "" + numKeyValueHeads, "" + headDim, "" + intermediateSize, "" + vocabSize, Double.toString(ropeTheta),
                Double.toString(rmsNormEps), "" + tieWordEmbeddings);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "Qwen2Config{hidden=" + hiddenSize + ", layers=" + numHiddenLayers + ", heads=" + numAttentionHeads + "/"
                + numKeyValueHeads + ", head_dim=" + headDim + ", intermediate=" + intermediateSize + ", vocab=" + vocabSize
                + ", rope_theta=" + ropeTheta + ", tied=" + tieWordEmbeddings + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Qwen2Config c && c.sha256().equals(sha256()) && c.eosTokenIds.equals(eosTokenIds)
                && c.maxPositionEmbeddings == maxPositionEmbeddings;
    }

    @Override
    public int hashCode() {
        return sha256().hashCode();
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Qwen2.5-0.5B's shape (d 896, 24 layers, 14 heads / 2 KV heads, MLP 4864, vocab 151936, tied), for random models. */
    public static Builder qwen25HalfBillionShape() {
        return builder().hiddenSize(896).numHiddenLayers(24).numAttentionHeads(14).numKeyValueHeads(2).intermediateSize(4864)
                .vocabSize(151936).tieWordEmbeddings(true);
    }

    /** For random models (training from scratch, benchmarks): fields named as the getters. */
    public static final class Builder {
        private int hiddenSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim, intermediateSize, vocabSize;
        private double ropeTheta = 1_000_000.0, rmsNormEps = 1e-6;
        private boolean tieWordEmbeddings = true;
        private int maxPositionEmbeddings = 32768;
        private final List<Integer> eosTokenIds = new ArrayList<>();
        private Integer bosTokenId;

        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
        public Builder numKeyValueHeads(int v) { numKeyValueHeads = v; return this; }
        /** 0 = hidden_size / num_attention_heads. */
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder eosTokenId(int v) { eosTokenIds.add(v); return this; }
        public Builder bosTokenId(int v) { bosTokenId = v; return this; }

        public Qwen2Config build() {
            try {
                return build("Qwen2Config");
            } catch (ModelFormatException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }

        private Qwen2Config build(String source) throws ModelFormatException {
            positive(source, "hidden_size", hiddenSize);
            positive(source, "num_hidden_layers", numHiddenLayers);
            positive(source, "num_attention_heads", numAttentionHeads);
            positive(source, "num_key_value_heads", numKeyValueHeads);
            positive(source, "intermediate_size", intermediateSize);
            positive(source, "vocab_size", vocabSize);
            if (numAttentionHeads % numKeyValueHeads != 0) {
                throw new ModelFormatException(source + ": num_attention_heads " + numAttentionHeads
                        + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
            }
            int hd = headDim > 0 ? headDim : hiddenSize / numAttentionHeads;
            if (headDim <= 0 && hiddenSize % numAttentionHeads != 0) {
                throw new ModelFormatException(source + ": hidden_size " + hiddenSize + " is not a multiple of num_attention_heads "
                        + numAttentionHeads + " and no head_dim is given");
            }
            if (hd % 2 != 0) throw new ModelFormatException(source + ": head_dim " + hd + " is odd (RoPE needs an even head_dim)");
            if (!(ropeTheta > 0)) throw new ModelFormatException(source + ": rope_theta must be positive, got " + ropeTheta);
            if (!(rmsNormEps > 0)) throw new ModelFormatException(source + ": rms_norm_eps must be positive, got " + rmsNormEps);
            return new Qwen2Config(this);
        }

        private static void positive(String source, String field, int v) throws ModelFormatException {
            if (v <= 0) throw new ModelFormatException(source + ": field '" + field + "' must be positive, got " + v);
        }
    }
}
