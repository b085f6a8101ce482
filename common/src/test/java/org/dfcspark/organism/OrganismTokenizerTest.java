package org.dfcspark.organism;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class OrganismTokenizerTest {
    private static Path dir;
    private static HuggingFaceTokenizer djl;
    private static final OrganismTokenizer TOK = OrganismTokenizer.get();

    @BeforeAll
    static void writeAndLoad() throws Exception {
        dir = Files.createTempDirectory("organism-tok");
        TOK.writeTo(dir);
        djl = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
    }

    @AfterAll
    static void close() throws Exception {
        djl.close();
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.deleteIfExists(dir.resolve(f));
        Files.deleteIfExists(dir);
    }

    private static long[] ids(String text) {
        return djl.encode(text, false, false).getIds();
    }

    @Test
    void addedTokensHaveFixedIds() {
        assertEquals(0, TOK.id(OrganismTokenizer.PAD));
        assertEquals(1, TOK.id(OrganismTokenizer.IM_START));
        assertEquals(2, TOK.id(OrganismTokenizer.IM_END));
        assertEquals(3, TOK.id(OrganismTokenizer.TOOL_CALL));
        assertEquals(4, TOK.id(OrganismTokenizer.TOOL_CALL_END));
        assertArrayEquals(new long[] {1, 3, 4, 2}, ids("<|im_start|><tool_call></tool_call><|im_end|>"));
        assertTrue(TOK.vocabSize() < 1024, "small vocabulary: " + TOK.vocabSize());
    }

    /** Every text of the world is one token per pre-tokenizer piece (no character fallback) and decodes back exactly. */
    @Test
    void worldTextsRoundTripAsWholePieces() {
        int checked = 0;
        for (Split s : Split.values()) {
            WorldSampler ws = new WorldSampler(99, s);
            for (Example.Kind k : Example.Kind.values()) {
                for (Example e : ws.take(k, 400)) {
                    List<String> texts = new ArrayList<>(List.of(e.user(), e.prose()));
                    if (k == Example.Kind.TOOL) {
                        texts.add(e.callAnswer());
                        texts.addAll(e.toolsJson());
                    }
                    for (String text : texts) {
                        Encoding enc = djl.encode(text, false, false);
                        List<String> pieces = TOK.pieces(text.replace("<tool_call>", "").replace("</tool_call>", ""));
                        int tags = (text.length() - text.replace("_call>", "").length()) / "_call>".length();
                        assertEquals(pieces.size() + tags, enc.getIds().length, text + " -> " + Arrays.toString(enc.getTokens()));
                        assertFalse(Arrays.asList(enc.getTokens()).contains(OrganismTokenizer.UNK), text);
                        assertEquals(text, djl.decode(enc.getIds(), false));
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 5000);
    }

    @Test
    void valuesAreTheSameTokenInRequestAndCall() {
        Example e = new WorldSampler(1, Split.TRAIN).take(Example.Kind.TOOL, 500).stream()
                .filter(x -> x.gold().name().equals("get_weather")).findFirst().orElseThrow();
        String city = e.arguments().get("city");
        long cityId = TOK.id(city);
        assertTrue(Arrays.stream(ids(e.user())).anyMatch(i -> i == cityId), e.user());
        assertTrue(Arrays.stream(ids(e.callAnswer())).anyMatch(i -> i == cityId), e.callAnswer());
        // prose words carry their space; values never do
        assertTrue(TOK.vocab().containsKey(" weather"));
        assertFalse(TOK.vocab().containsKey(" " + city));
    }

    @Test
    void anyAsciiTextRoundTripsAndOtherCharactersBecomeUnk() {
        String odd = "Zebra-42 {\"x\": [1, 2]}\t~ ok?! 3.14159 ";
        assertEquals(odd, djl.decode(ids(odd), false));
        long[] accented = ids("caf\u00e9");
        assertEquals(TOK.id(OrganismTokenizer.UNK), accented[accented.length - 1]);
    }

    @Test
    void javaPiecesMatchTheRustPreTokenizer() {
        // The vocabulary is built from Java regex pieces; the HF pre-tokenizer must cut the same way.
        for (Example e : new WorldSampler(5, Split.TEST).take(Example.Kind.TOOL, 200)) {
            for (String text : List.of(e.user(), e.prose())) {
                assertEquals(TOK.pieces(text), Arrays.asList(djl.encode(text, false, false).getTokens()), text);
            }
        }
    }

    @Test
    void decodeCanSkipSpecialTokensButKeepsToolCallTags() {
        String text = "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"oslo\"}}\n</tool_call><|im_end|>";
        long[] ids = ids(text);
        assertEquals(text, djl.decode(ids, false));
        assertEquals("assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"oslo\"}}\n</tool_call>", djl.decode(ids, true));
    }
}
