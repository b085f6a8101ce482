package org.dfcspark.organism;

import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
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
    private static Tokenizer tok;
    private static final OrganismTokenizer TOK = OrganismTokenizer.get();

    @BeforeAll
    static void writeAndLoad() throws Exception {
        dir = Files.createTempDirectory("organism-tok");
        TOK.writeTo(dir);
        tok = Tokenizer.load(dir);
    }

    @AfterAll
    static void close() throws Exception {
        tok.close();
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.deleteIfExists(dir.resolve(f));
        Files.deleteIfExists(dir);
    }

    private static int[] ids(String text) {
        return tok.encode(text);
    }

    private static List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(tok.decode(new int[] {id}));
        return out;
    }

    @Test
    void addedTokensHaveFixedIds() {
        assertEquals(0, TOK.id(OrganismTokenizer.PAD));
        assertEquals(1, TOK.id(OrganismTokenizer.IM_START));
        assertEquals(2, TOK.id(OrganismTokenizer.IM_END));
        assertEquals(3, TOK.id(OrganismTokenizer.TOOL_CALL));
        assertEquals(4, TOK.id(OrganismTokenizer.TOOL_CALL_END));
        assertArrayEquals(new int[] {1, 3, 4, 2}, ids("<|im_start|><tool_call></tool_call><|im_end|>"));
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
                        for (ToolSpec t : e.tools()) texts.add(t.schemaJson());
                    }
                    for (String text : texts) {
                        int[] enc = ids(text);
                        List<String> pieces = TOK.pieces(text.replace("<tool_call>", "").replace("</tool_call>", ""));
                        int tags = (text.length() - text.replace("_call>", "").length()) / "_call>".length();
                        assertEquals(pieces.size() + tags, enc.length, text + " -> " + tokens(enc));
                        assertFalse(tokens(enc).contains(OrganismTokenizer.UNK), text);
                        assertEquals(text, tok.decode(enc));
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
        int cityId = TOK.id(city);
        assertTrue(Arrays.stream(ids(e.user())).anyMatch(i -> i == cityId), e.user());
        assertTrue(Arrays.stream(ids(e.callAnswer())).anyMatch(i -> i == cityId), e.callAnswer());
        // prose words carry their space; values never do
        assertTrue(TOK.vocab().containsKey(" weather"));
        assertFalse(TOK.vocab().containsKey(" " + city));
    }

    @Test
    void anyAsciiTextRoundTripsAndOtherCharactersBecomeUnk() {
        String odd = "Zebra-42 {\"x\": [1, 2]}\t~ ok?! 3.14159 ";
        assertEquals(odd, tok.decode(ids(odd)));
        int[] accented = ids("caf\u00e9");
        assertEquals(TOK.id(OrganismTokenizer.UNK), accented[accented.length - 1]);
    }

    @Test
    void javaPiecesMatchTheRustPreTokenizer() {
        // The vocabulary is built from Java regex pieces; the HF pre-tokenizer must cut the same way.
        for (Example e : new WorldSampler(5, Split.TEST).take(Example.Kind.TOOL, 200)) {
            for (String text : List.of(e.user(), e.prose())) {
                assertEquals(TOK.pieces(text), tokens(ids(text)), text);
            }
        }
    }

    @Test
    void tokenizerFilesGiveEosAndPad() {
        assertEquals(List.of(2), tok.eosTokenIds());
        assertEquals(0, tok.padTokenId());
        assertEquals(TOK.vocabSize(), tok.vocabSize());
    }

    /** Prompt ids + answer ids equal the ids of the whole rendered conversation (the template renders it). */
    @Test
    void promptAndAnswerEncodeLikeTheWholeConversation() {
        ChatTemplate template = ChatTemplate.load(dir);
        OrganismChat chat = new OrganismChat(template, tok);
        for (Split s : Split.values()) {
            WorldSampler ws = new WorldSampler(21, s);
            for (Example.Kind k : Example.Kind.values()) {
                for (Example e : ws.take(k, 30)) {
                    String answer = k == Example.Kind.TOOL ? e.callAnswer() : e.prose();
                    OrganismChat.Sequence seq = chat.sequence(e, answer);
                    String full = template.render(List.of(Map.of("role", "user", "content", e.user()),
                            Map.of("role", "assistant", "content", answer)), e.tools().stream().map(ToolSpec::schema).toList(), false);
                    assertTrue(full.endsWith("<|im_end|>\n"));
                    assertArrayEquals(ids(full.substring(0, full.length() - 1)), seq.ids(), full);
                    assertEquals(answer + "<|im_end|>", tok.decode(Arrays.copyOfRange(seq.ids(), seq.answerStart(), seq.ids().length)));
                    assertTrue(chat.promptText(e).endsWith("<|im_start|>assistant\n"));
                }
            }
        }
    }

    /** Renders and ids made by transformers (tools/reference/organism_check.py tokenizer --golden) are reproduced exactly. */
    @Test
    @SuppressWarnings("unchecked")
    void transformersGoldenRendersReplayExactly() throws Exception {
        ChatTemplate template = ChatTemplate.load(dir);
        com.fasterxml.jackson.databind.ObjectMapper om = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> lines;
        try (var in = OrganismTokenizerTest.class.getResourceAsStream("/organism/golden_render.jsonl")) {
            lines = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        }
        assertTrue(lines.size() >= 10);
        for (String line : lines) {
            Map<String, Object> g = om.readValue(line, Map.class);
            List<Map<String, Object>> tools = (List<Map<String, Object>>) g.get("tools");
            String text = template.render((List<Map<String, Object>>) g.get("messages"), tools, false);
            assertEquals(g.get("text"), text, (String) g.get("id"));
            int[] expected = ((List<Integer>) g.get("ids")).stream().mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, ids(text), (String) g.get("id"));
        }
    }

    @Test
    void decodeCanSkipSpecialTokensButKeepsToolCallTags() {
        String text = "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"oslo\"}}\n</tool_call><|im_end|>";
        int[] ids = ids(text);
        assertEquals(text, tok.decode(ids));
        assertEquals("assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"oslo\"}}\n</tool_call>", tok.decode(ids, true));
    }
}
