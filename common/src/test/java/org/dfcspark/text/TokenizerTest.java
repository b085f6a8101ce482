package org.dfcspark.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dfcspark.data.ProjectPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerTest {
    static final Path QWEN = ProjectPaths.data("tokenizers/qwen2.5");
    static Tokenizer tok;

    @BeforeAll
    static void load() {
        tok = Tokenizer.load(QWEN);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void reproducesGoldenTokenization() throws Exception {
        JsonNode cases;
        try (InputStream in = TokenizerTest.class.getResourceAsStream("/text/qwen2.5/golden_tokenization.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertEquals(5, cases.size());
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("ids").get(i).asInt();
            assertArrayEquals(expected, tok.encode(text), "ids of " + text);
            assertEquals(text, tok.decode(expected), "decode round trip");
        }
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(200);
        int[] ids = tok.encode(text);
        // 10 tokens per sentence (the space joins the next "The") + the final lone space; Python's
        // tokenizers gives the same 2001 ids. DJL's wrapper would have cut this at 512.
        assertEquals(2001, ids.length);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void specialTokensAndIds() {
        assertArrayEquals(new int[] {9707, 11, 1879, 0}, tok.encode("Hello, world!"), "no BOS/EOS added");
        assertEquals(151645, tok.tokenId("<|im_end|>"));
        assertEquals(151657, tok.tokenId("<tool_call>"));
        assertEquals(1879, tok.tokenId("Ġworld"));
        assertEquals(-1, tok.tokenId("not a token"));
        assertEquals(151665, tok.vocabSize());
        assertEquals(List.of(151645), tok.eosTokenIds());
        assertEquals(151643, tok.padTokenId());
        int[] ids = tok.encode("<|im_start|>user\nhi<|im_end|><tool_call>");
        assertEquals("<|im_start|>user\nhi<|im_end|><tool_call>", tok.decode(ids));
        assertEquals("user\nhi<tool_call>", tok.decode(ids, true), "skips only tokens marked special");
        // Qwen2.5's embedding has 151936 rows for 151665 tokens: the extra ids decode to nothing, as in tokenizers
        assertEquals("Hello, world!", tok.decode(new int[] {9707, 11, 151665, 1879, 151935, 0}));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-1}));
    }

    /** A small word-level tokenizer.json (the config-file tests need a valid one, not Qwen's 7 MB). */
    static void writeTinyTokenizer(Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 3, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true},
                                  {"id": 4, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"hello": 0, "world": 1, "<unk>": 2}, "unk_token": "<unk>"}}
                """);
    }

    @Test
    void tokenizerConfigAndGenerationConfigGiveEosAndPad(@TempDir Path dir) throws Exception {
        writeTinyTokenizer(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": {\"content\": \"<eos>\", \"special\": true}, \"pad_token\": \"<pad>\"}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"pad_token_id\": 2, \"eos_token_id\": [1, 3]}");
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertEquals(List.of(3, 1), t.eosTokenIds(), "tokenizer_config's eos first, then generation_config's others");
            assertEquals(4, t.padTokenId(), "tokenizer_config's pad wins");
            assertArrayEquals(new int[] {0, 1, 3}, t.encode("hello world<eos>"));
            assertEquals(5, t.vocabSize());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertEquals(List.of(1, 3), t.eosTokenIds());
            assertEquals(2, t.padTokenId(), "generation_config's pad_token_id when tokenizer_config has none");
        }
    }

    @Test
    void onlyTokenizerJsonIsRequired(@TempDir Path dir) throws Exception {
        writeTinyTokenizer(dir);
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertEquals(List.of(), t.eosTokenIds());
            assertNull(t.padTokenId());
            assertArrayEquals(new int[] {0, 2}, t.encode("hello there"));
        }
    }

    @Test
    void nonIntegerEosIdInGenerationConfig(@TempDir Path dir) throws Exception {
        writeTinyTokenizer(dir);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"<eos>\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertEquals(dir.resolve("generation_config.json") + ": eos_token_id must be an integer, got \"<eos>\"", e.getMessage());
    }

    @Test
    void missingTokenizerJson(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertEquals("tokenizer file not found: " + dir.resolve("tokenizer.json"), e.getMessage());
    }

    @Test
    void truncatedTokenizerJson(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(QWEN.resolve("tokenizer.json"));
        Files.write(dir.resolve("tokenizer.json"), java.util.Arrays.copyOf(all, 100_000));
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": not a readable JSON tokenizer"), e.getMessage());
    }

    @Test
    void jsonThatIsNotATokenizer(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0}, \"type\": \"Nonsense\"}}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("the tokenizers library rejected it"), e.getMessage());
    }

    @Test
    void corruptTokenizerConfig(@TempDir Path dir) throws Exception {
        writeTinyTokenizer(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": ");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": not valid JSON"), e.getMessage());
    }

    @Test
    void eosTokenMissingFromVocabulary(@TempDir Path dir) throws Exception {
        writeTinyTokenizer(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("special token '<|nope|>' is not in tokenizer.json"), e.getMessage());
    }
}
