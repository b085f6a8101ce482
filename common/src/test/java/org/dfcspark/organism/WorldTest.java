package org.dfcspark.organism;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class WorldTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void worldHasTwentyFourTypedTools() {
        assertEquals(24, World.TOOLS.size());
        Set<JsonKind> kinds = EnumSet.noneOf(JsonKind.class);
        for (ToolSpec t : World.TOOLS) {
            assertTrue(t.params().size() >= 1 && t.params().size() <= 3, t.name());
            for (ToolSpec.Param p : t.params()) kinds.add(p.type().kind());
        }
        assertEquals(EnumSet.allOf(JsonKind.class), kinds, "strings, integers and numbers all used");
        assertTrue(World.TOOLS.stream().anyMatch(t -> t.params().stream().anyMatch(p -> p.type() == World.DATE)));
        assertTrue(World.TOOLS.stream().anyMatch(t -> t.params().stream().anyMatch(p -> p.type() == World.TASK)));
    }

    @Test
    void sameSeedSameExamplesOtherSeedOthers() {
        for (Split s : Split.values()) {
            for (Example.Kind k : Example.Kind.values()) {
                List<String> a = rows(new WorldSampler(7, s).take(k, 200));
                List<String> b = rows(new WorldSampler(7, s).take(k, 200));
                List<String> c = rows(new WorldSampler(8, s).take(k, 200));
                assertEquals(a, b, s + " " + k);
                assertNotEquals(a, c, s + " " + k);
            }
        }
    }

    @Test
    void kindStreamsAreIndependent() {
        WorldSampler mixed = new WorldSampler(3, Split.TRAIN);
        mixed.take(Example.Kind.GENERIC, 17);
        mixed.take(Example.Kind.ECHO, 5);
        assertEquals(rows(new WorldSampler(3, Split.TRAIN).take(Example.Kind.TOOL, 50)), rows(mixed.take(Example.Kind.TOOL, 50)));
    }

    @Test
    void trainingRequestsUseOnlyTrainingPhrasingsValuesAndCombinations() {
        for (Example e : new WorldSampler(11, Split.TRAIN).take(Example.Kind.TOOL, 3000)) {
            assertFalse(e.novelPhrasing() || e.novelValues());
            assertTrue(e.template() < e.gold().trainRequests().size());
            assertFalse(World.heldOutCombination(e.gold(), e.arguments()), e.id());
            for (ToolSpec.Param p : e.gold().params()) {
                assertTrue(p.type().train().contains(e.arguments().get(p.key())), e.id() + " " + p.key());
            }
        }
    }

    /** VALID/TEST: training phrasings and values in held-out combinations; never a training prompt. */
    @Test
    void testRequestsAreUnseenCombinations() {
        Set<String> train = new HashSet<>();
        for (Example e : new WorldSampler(11, Split.TRAIN).take(Example.Kind.TOOL, 20000)) train.add(e.user());
        for (Split s : List.of(Split.VALID, Split.TEST)) {
            Set<String> tools = new HashSet<>();
            for (Example e : new WorldSampler(11, s).take(Example.Kind.TOOL, 1000)) {
                assertTrue(World.heldOutCombination(e.gold(), e.arguments()), e.id());
                assertFalse(e.novelPhrasing() || e.novelValues(), e.id());
                assertFalse(train.contains(e.user()), e.id() + " equals a training request: " + e.user());
                tools.add(e.gold().name());
            }
            assertEquals(World.TOOLS.size(), tools.size(), "every tool has held-out combinations");
        }
    }

    /** NOVEL: a held-out phrasing and/or held-out values, never a training prompt. */
    @Test
    void novelRequestsHaveUnseenPhrasingsOrValues() {
        Set<String> train = new HashSet<>();
        for (Example e : new WorldSampler(11, Split.TRAIN).take(Example.Kind.TOOL, 20000)) train.add(e.user());
        int phrasing = 0, values = 0;
        for (Example e : new WorldSampler(11, Split.NOVEL).take(Example.Kind.TOOL, 1000)) {
            assertTrue(e.novelPhrasing() || e.novelValues(), e.id());
            assertFalse(train.contains(e.user()), e.id() + " equals a training request: " + e.user());
            if (e.novelPhrasing()) {
                phrasing++;
                assertEquals(e.gold().heldOutRequest(), e.gold().allRequests().get(e.template()));
            }
            if (e.novelValues()) {
                values++;
                boolean anyHeld = false;
                for (ToolSpec.Param p : e.gold().params()) {
                    String v = e.arguments().get(p.key());
                    if (p.type().hasHeldOut()) {
                        assertTrue(p.type().heldOut().contains(v), e.id() + " " + p.key() + "=" + v);
                        anyHeld = true;
                    }
                }
                assertTrue(anyHeld);
            }
        }
        assertTrue(phrasing > 400 && values > 400, "both kinds of novelty are common: " + phrasing + " / " + values);
    }

    @Test
    void genericChatsSplitTheirThingAdjectivePairs() {
        Set<String> train = new HashSet<>();
        for (Example e : new WorldSampler(5, Split.TRAIN).take(Example.Kind.GENERIC, 5000)) train.add(e.user());
        for (Example e : new WorldSampler(5, Split.TEST).take(Example.Kind.GENERIC, 500)) {
            assertFalse(train.contains(e.user()), e.user());
            assertTrue(e.tools().isEmpty());
        }
        Set<String> trainPairs = new HashSet<>();
        for (int[] p : World.genericPairs(false)) trainPairs.add(p[0] + "/" + p[1]);
        for (int[] p : World.genericPairs(true)) assertFalse(trainPairs.contains(p[0] + "/" + p[1]));
        assertEquals(World.THINGS.size() * World.ADJECTIVES.size(), World.genericPairs(false).size() + World.genericPairs(true).size());
    }

    @Test
    void requestsMentionEveryArgumentAndListTheGoldTool() throws Exception {
        for (Split s : Split.values()) {
            for (Example e : new WorldSampler(2, s).take(Example.Kind.TOOL, 1000)) {
                assertTrue(e.tools().contains(e.gold()));
                assertTrue(e.tools().size() >= 1 && e.tools().size() <= WorldSampler.MAX_LISTED);
                assertEquals(e.tools().size(), new HashSet<>(e.tools()).size(), "no tool listed twice");
                for (String v : e.arguments().values()) {
                    assertTrue(e.user().contains(v), e.user() + " lacks " + v);
                    assertTrue(e.prose().contains(v), e.prose() + " lacks " + v);
                    assertTrue(e.prose().startsWith(World.PROSE_OPENING), e.prose());
                }
                // parameters of one type differ (origin != destination, source != target)
                for (ToolSpec.Param p : e.gold().params()) {
                    for (ToolSpec.Param q : e.gold().params()) {
                        if (p != q && p.type() == q.type()) assertNotEquals(e.arguments().get(p.key()), e.arguments().get(q.key()));
                    }
                }
                JsonNode gold = JSON.readTree(e.goldJson());
                assertEquals(1, gold.size());
                assertEquals(e.gold().name(), gold.get(0).get("name").asText());
                JsonNode args = gold.get(0).get("arguments");
                for (ToolSpec.Param p : e.gold().params()) {
                    JsonNode v = args.get(p.key());
                    switch (p.type().kind()) {
                        case STRING -> assertTrue(v.isTextual(), e.goldJson());
                        case INTEGER -> assertTrue(v.isIntegralNumber(), e.goldJson());
                        case NUMBER -> assertTrue(v.isNumber(), e.goldJson());
                    }
                    assertEquals(e.arguments().get(p.key()), v.asText(), e.goldJson());
                }
            }
        }
    }

    @Test
    void recordsAreValidPromptsTableRows() {
        for (Split s : Split.values()) {
            WorldSampler ws = new WorldSampler(6, s);
            for (Example.Kind k : Example.Kind.values()) {
                for (Example e : ws.take(k, 200)) {
                    org.dfcspark.data.PromptRecord r = e.record();
                    assertEquals(List.of(), r.problems(), e.id());
                    assertEquals(k == Example.Kind.TOOL ? "tool_call" : "response", r.goldKind());
                    for (int i = 0; i < e.tools().size(); i++) {
                        assertEquals(e.tools().get(i).name(), org.dfcspark.py.PythonJson.parse(r.tools().get(i)) instanceof java.util.Map<?, ?> m ? m.get("name") : null);
                    }
                }
            }
        }
    }

    @Test
    void callAnswerIsQwenHermesJson() throws Exception {
        Example e = new WorldSampler(1, Split.TRAIN).take(Example.Kind.TOOL, 30).stream()
                .filter(x -> x.gold().name().equals("book_hotel")).findFirst().orElseThrow();
        String a = e.callAnswer();
        assertTrue(a.startsWith("<tool_call>\n{\"name\": \"book_hotel\", \"arguments\": {\"city\": \""), a);
        assertTrue(a.endsWith("}}\n</tool_call>"), a);
        JsonNode call = JSON.readTree(a.substring("<tool_call>\n".length(), a.length() - "\n</tool_call>".length()));
        assertEquals(JSON.readTree(e.goldJson()).get(0), call);
        JsonNode schema = JSON.readTree(e.gold().schemaJson());
        assertEquals("integer", schema.at("/function/parameters/properties/nights/type").asText());
        assertEquals("[\"city\",\"nights\",\"date\"]", schema.at("/function/parameters/required").toString());
    }

    @Test
    void echoDrillRepeatsValuesIncludingHeldOutOnes() {
        Set<String> seen = new HashSet<>();
        for (Example e : new WorldSampler(4, Split.TRAIN).take(Example.Kind.ECHO, 3000)) {
            assertEquals(World.ECHO_PREFIX + e.prose(), e.user());
            seen.addAll(List.of(e.prose().split(" ")));
        }
        assertTrue(seen.contains("oslo") && seen.contains("sunday") && seen.contains("december"), "held-out values are echoed");
    }

    /** The strict scorer (the RL reward) accepts each gold call answer, and rejects prose and wrong arguments. */
    @Test
    void goldAnswersScoreStrictlyCorrect() {
        for (Split s : Split.values()) {
            for (Example e : new WorldSampler(8, s).take(Example.Kind.TOOL, 300)) {
                var r = e.record();
                assertTrue(org.dfcspark.toolcall.StrictScorer.score(e.callAnswer() + "<|im_end|>", r.gold(), r.goldKind(), r.tools()).correct(), e.callAnswer());
                assertFalse(org.dfcspark.toolcall.StrictScorer.score(e.prose(), r.gold(), r.goldKind(), r.tools()).correct(), e.prose());
                String first = e.arguments().values().iterator().next();
                String wrong = e.callAnswer().replace(first.matches("[0-9.]+") ? ": " + first : "\"" + first + "\"",
                        first.matches("[0-9.]+") ? ": 99" : "\"zzz\"");
                assertNotEquals(e.callAnswer(), wrong);
                assertFalse(org.dfcspark.toolcall.StrictScorer.score(wrong, r.gold(), r.goldKind(), r.tools()).correct(), wrong);
            }
        }
    }

    @Test
    void malformedWorldDefinitionsAreRejectedWithTheirName() {
        ValueType city = World.CITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ToolSpec("t", "d",
                List.of(new ToolSpec.Param("city", city)), List.of("weather in {city}?", "no slot here"), "h {city}",
                List.of("p {city}", "q {city}")));
        assertTrue(e.getMessage().contains("tool t") && e.getMessage().contains("omits {city}"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ToolSpec("t", "d",
                List.of(new ToolSpec.Param("city", city)), List.of("{city} {day}", "{city}"), "h {city}", List.of("p {city}", "q {city}")));
        assertTrue(e.getMessage().contains("unknown {day}"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ValueType.strings("x", List.of("a", "b"), List.of("b")));
        assertTrue(e.getMessage().contains("'b' is both train and held out"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> World.tool("no_such_tool"));
        assertTrue(e.getMessage().contains("no_such_tool"), e.getMessage());
    }

    private static List<String> rows(List<Example> examples) {
        return examples.stream().map(e -> e.record().toString()).toList();
    }
}
