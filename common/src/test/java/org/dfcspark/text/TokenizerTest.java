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
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {151665}));
    }

    @Test
    void generationConfigAddsEosIds(@TempDir Path dir) throws Exception {
        Files.copy(QWEN.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(QWEN.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 151643, \"pad_token_id\": 151643, \"eos_token_id\": [151645, 151643]}");
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertEquals(List.of(151645, 151643), t.eosTokenIds());
            assertEquals(151643, t.padTokenId());
        }
    }

    @Test
    void onlyTokenizerJsonIsRequired(@TempDir Path dir) throws Exception {
        Files.copy(QWEN.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertEquals(List.of(), t.eosTokenIds());
            assertNull(t.padTokenId());
            assertArrayEquals(new int[] {9707, 11, 1879, 0}, t.encode("Hello, world!"));
        }
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
        Files.copy(QWEN.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": ");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": not valid JSON"), e.getMessage());
    }

    @Test
    void eosTokenMissingFromVocabulary(@TempDir Path dir) throws Exception {
        Files.copy(QWEN.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("special token '<|nope|>' is not in tokenizer.json"), e.getMessage());
    }
}
