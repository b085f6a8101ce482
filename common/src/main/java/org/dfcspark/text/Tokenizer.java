package org.dfcspark.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer from a model directory ({@code tokenizer.json}, plus
 * {@code tokenizer_config.json} and {@code generation_config.json} when present), through DJL's
 * native {@code tokenizers} binding. Encoding is exactly {@code tokenizer.encode(text,
 * add_special_tokens=False)} of transformers: no truncation (DJL's wrapper would cut at 512 tokens),
 * no padding, nothing added. Thread-safe; close it to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer hf;
    private final Map<String, Integer> vocab;
    private final int vocabSize;
    private final List<Integer> eosTokenIds;
    private final Integer padTokenId;
    private final Map<String, String> specialTokens;

    private Tokenizer(HuggingFaceTokenizer hf, Map<String, Integer> vocab, List<Integer> eosTokenIds,
                      Integer padTokenId, Map<String, String> specialTokens) {
        this.hf = hf;
        this.vocab = vocab;
        this.vocabSize = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.eosTokenIds = eosTokenIds;
        this.padTokenId = padTokenId;
        this.specialTokens = specialTokens;
    }

    /**
     * Loads the tokenizer of a model directory. Missing or malformed files give an
     * IllegalArgumentException naming the file.
     */
    public static Tokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer file not found: " + file);
        }
        String json;
        JsonNode root;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable JSON tokenizer: " + firstLine(e), e);
        }
        Map<String, Integer> vocab = readVocab(file, root);

        HuggingFaceTokenizer hf;
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                "withOverflowingTokens", "false");
        try {
            hf = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": the tokenizers library rejected it: " + firstLine(e), e);
        }

        ModelConfigFiles cfg = ModelConfigFiles.read(modelDir);
        List<Integer> eos = new ArrayList<>();
        String eosToken = cfg.specialTokens().get("eos_token");
        if (eosToken != null) eos.add(idOf(vocab, eosToken, cfg.tokenizerConfigFile()));
        for (Integer id : cfg.generationEosIds()) {
            if (!eos.contains(id)) eos.add(id);
        }
        Integer pad = null;
        String padToken = cfg.specialTokens().get("pad_token");
        if (padToken != null) pad = idOf(vocab, padToken, cfg.tokenizerConfigFile());
        else if (cfg.generationPadId() != null) pad = cfg.generationPadId();
        return new Tokenizer(hf, vocab, Collections.unmodifiableList(eos), pad, cfg.specialTokens());
    }

    private static Map<String, Integer> readVocab(Path file, JsonNode root) {
        JsonNode model = root.path("model").path("vocab");
        if (!model.isObject()) {
            throw new IllegalArgumentException(file + ": no model.vocab object (not a Hugging Face tokenizer.json)");
        }
        Map<String, Integer> vocab = new HashMap<>(model.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = model.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        for (JsonNode t : root.path("added_tokens")) {
            vocab.put(t.path("content").asText(), t.path("id").asInt());
        }
        return vocab;
    }

    private static int idOf(Map<String, Integer> vocab, String token, Path source) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException(source + ": special token '" + token + "' is not in tokenizer.json");
        }
        return id;
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Token ids of {@code text}, untruncated, with no special tokens added. */
    public int[] encode(String text) {
        Encoding enc = hf.encode(text, false, false);
        long[] ids = enc.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** Text of the ids, special tokens kept (as transformers' {@code decode(ids)}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of the ids; with {@code skipSpecial}, tokens marked special in tokenizer.json are dropped. Ids at or above
     * the tokenizer's vocabulary decode to nothing, as in transformers: a model's embedding may have more rows than its
     * tokenizer has tokens (Qwen2.5: 151936 rows, 151665 tokens), and a model can generate those ids.
     */
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("token id " + id + " is negative");
            if (id < vocabSize) l[n++] = id;
        }
        return hf.decode(n == l.length ? l : java.util.Arrays.copyOf(l, n), skipSpecial);
    }

    /** Id of a token string as stored in the vocabulary (e.g. "&lt;|im_end|&gt;", "Ġworld"), or -1. */
    public int tokenId(String token) {
        return vocab.getOrDefault(token, -1);
    }

    /** Number of token ids the tokenizer can produce: highest id + 1 (transformers' {@code len(tokenizer)}). */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * Ids that end generation: tokenizer_config.json's {@code eos_token} first, then any further
     * {@code eos_token_id} of generation_config.json. Empty when neither file names one.
     */
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    /** tokenizer_config.json's {@code pad_token}, else generation_config.json's {@code pad_token_id}, else null. */
    public Integer padTokenId() {
        return padTokenId;
    }

    /** The special-token strings of tokenizer_config.json ({@code eos_token}, {@code pad_token}, ...). */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    @Override
    public void close() {
        hf.close();
    }
}
