package org.dfcspark.toolcall;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrictScorerTest {
    private static final String WEATHER_TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"description\": \"Weather for a city\", \"parameters\": {\"type\": \"object\", \"properties\": {"
            + "\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}, \"unit\": {\"type\": \"string\", \"default\": \"celsius\"},"
            + "\"threshold\": {\"type\": \"number\"}, \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}, "
            + "\"required\": [\"city\"]}}}";
    private static final String TOOLRL_TOOL = "{\"name\": \"calculate_investment_return\", \"description\": \"...\", "
            + "\"parameters\": {\"initial_amount\": {\"type\": \"int\", \"default\": \"\"}, \"interest_rate\": "
            + "{\"type\": \"float\", \"default\": \"\"}, \"num_years\": {\"type\": \"int\", \"default\": \"\"}}}";
    private static final List<String> TOOLS = List.of(WEATHER_TOOL, TOOLRL_TOOL);

    private static final String GOLD = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}]";
    private static final String GOLD2 = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}, "
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"days\": 1}}]";

    private static String hermes(String... jsonCalls) {
        StringBuilder sb = new StringBuilder();
        for (String c : jsonCalls) sb.append("<tool_call>\n").append(c).append("\n</tool_call>\n");
        return sb.toString();
    }

    private static StrictResult score(String output, String gold) {
        return StrictScorer.score(output, gold, "tool_call", TOOLS);
    }

    @Test
    void hermesExactCallIsCorrect() {
        StrictResult r = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}"), GOLD);
        assertTrue(r.correct());
        assertTrue(r.nameCorrect());
        assertEquals("hermes", r.outputFormat());
        assertEquals(1, r.calls());
        assertEquals(1, r.expectedCalls());
        assertEquals(null, r.errorType());
    }

    @Test
    void toolRlFormatIsReadToo() {
        String out = "<think> The user wants the weather. </think>\n<tool_call>\n"
                + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\", \"days\": 1}}\n"
                + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>";
        StrictResult r = score(out, GOLD2);
        assertTrue(r.correct(), r.toString());
        assertEquals("toolrl", r.outputFormat());
        assertEquals(2, r.calls());
    }

    @Test
    void parallelCallsMatchOrderFree() {
        String out = hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"days\": 1}}",
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}");
        assertTrue(score(out, GOLD2).correct());
        // The greedy trap BFCL falls into: the first gold call accepts both model calls under a loose string
        // rule; maximum matching still pairs them correctly.
        String goldTrap = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"paris\"}}, "
                + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}]";
        String outTrap = hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}",
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"PARIS\", \"days\": 3}}");
        assertTrue(score(outTrap, goldTrap).correct());
    }

    @Test
    void missingArgumentIsWrong() {
        StrictResult r = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}"), GOLD);
        assertFalse(r.correct());
        assertTrue(r.nameCorrect());
        assertEquals("missing_arg", r.errorType());
        assertEquals("get_weather: argument 'days' missing", r.error());
    }

    @Test
    void missingRequiredArgumentIsWrongEvenIfTheGoldLacksIt() {
        StrictResult r = StrictScorer.score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"days\": 3}}"),
                "[{\"name\": \"get_weather\", \"arguments\": {\"days\": 3}}]", "tool_call", TOOLS);
        assertEquals("missing_arg", r.errorType());
        assertEquals("get_weather: required argument 'city' missing", r.error());
    }

    @Test
    void extraArgumentIsWrongUnlessItIsTheDeclaredDefault() {
        StrictResult extra = score(hermes(
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"tags\": [\"x\"]}}"), GOLD);
        assertEquals("unexpected_arg", extra.errorType());
        StrictResult unknown = score(hermes(
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"zz\": 1}}"), GOLD);
        assertEquals("unexpected_arg", unknown.errorType());
        StrictResult dflt = score(hermes(
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"unit\": \"celsius\"}}"), GOLD);
        assertTrue(dflt.correct());
        // and a gold argument equal to the default may be left out
        String goldWithDefault = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"unit\": \"celsius\"}}]";
        assertTrue(score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}"), goldWithDefault).correct());
    }

    @Test
    void wrongValueIsWrongButStringsAreStandardised() {
        StrictResult wrong = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\", \"days\": 3}}"), GOLD);
        assertEquals("value_error", wrong.errorType());
        assertEquals("get_weather: argument 'city': got 'Lyon', gold 'Paris'", wrong.error());
        assertTrue(score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"pa-ris \", \"days\": 3}}"), GOLD).correct());
        assertEquals("value_error",
                score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris!\", \"days\": 3}}"), GOLD).errorType());
    }

    @Test
    void intAndFloatFollowBfclTypeRules() {
        // float for an integer parameter: type error (BFCL: 2.0 is not an int)
        StrictResult f = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3.0}}"), GOLD);
        assertEquals("type_error", f.errorType());
        // "3" is not 3, true is not 1
        assertEquals("type_error",
                score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": \"3\"}}"), GOLD).errorType());
        String goldBool = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 1}}]";
        assertEquals("type_error",
                score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": true}}"), goldBool).errorType());
        // int for a float parameter is promoted (schema says number) ...
        String goldFloat = "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"threshold\": 2.0}}]";
        assertTrue(score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"threshold\": 2}}"), goldFloat).correct());
        // ... and a float equal to an int gold is fine where the schema says float
        String goldIntForFloat = "[{\"name\": \"calculate_investment_return\", \"parameters\": {\"initial_amount\": 8000, \"interest_rate\": 5, \"num_years\": 5}}]";
        String toolrlOut = "<think>x</think>\n<tool_call>\n{\"name\": \"calculate_investment_return\", \"parameters\": "
                + "{\"initial_amount\": 8000, \"interest_rate\": 5.0, \"num_years\": 5}}\n</tool_call>";
        assertTrue(score(toolrlOut, goldIntForFloat).correct());
        assertEquals("type_error", score(toolrlOut.replace("8000,", "8000.0,"), goldIntForFloat).errorType());
    }

    @Test
    void listItemsArePromotedAndTypeChecked() {
        String gold = "[{\"name\": \"f\", \"arguments\": {\"xs\": [1.5, 2.0], \"names\": [\"a\", \"b\"]}}]";
        assertTrue(StrictScorer.score(hermes("{\"name\": \"f\", \"arguments\": {\"xs\": [1.5, 2], \"names\": [\"A\", \"b\"]}}"),
                gold, "tool_call", null).correct());
        StrictResult reordered = StrictScorer.score(hermes("{\"name\": \"f\", \"arguments\": {\"xs\": [2.0, 1.5], \"names\": [\"a\", \"b\"]}}"),
                gold, "tool_call", null);
        assertEquals("value_error", reordered.errorType());
        StrictResult wrongItem = StrictScorer.score(hermes("{\"name\": \"f\", \"arguments\": {\"xs\": [1.5, 2.0], \"names\": [\"a\", 2]}}"),
                gold, "tool_call", null);
        assertEquals("type_error", wrongItem.errorType());
    }

    @Test
    void wrongNameAndWrongCountAreReported() {
        StrictResult name = score(hermes("{\"name\": \"Get_Weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}"), GOLD);
        assertEquals("wrong_name", name.errorType());
        assertFalse(name.nameCorrect());
        StrictResult count = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}"), GOLD2);
        assertEquals("wrong_count", count.errorType());
        StrictResult none = score("The weather in Paris is nice.", GOLD);
        assertEquals("no_call", none.errorType());
        assertEquals("none", none.outputFormat());
    }

    @Test
    void unreadableCallAttemptsAreParseErrors() {
        StrictResult broken = score("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}\n</tool_call>", GOLD);
        assertEquals("parse_error", broken.errorType());
        assertTrue(broken.error().startsWith("invalid JSON: "), broken.error());
        StrictResult unclosed = score("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}", GOLD);
        assertEquals("parse_error", unclosed.errorType());
        assertTrue(unclosed.nameCorrect());
        StrictResult extraBroken = score(hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}", "{oops"), GOLD);
        assertFalse(extraBroken.correct());
        assertEquals(1, extraBroken.parseFailures());
    }

    @Test
    void irrelevanceAndResponseWantNoCall() {
        StrictResult refusal = StrictScorer.score("I cannot do that with these tools.", null, "irrelevance", TOOLS);
        assertTrue(refusal.correct());
        StrictResult call = StrictScorer.score(hermes("{\"name\": \"get_weather\", \"arguments\": {}}"), null, "irrelevance", TOOLS);
        assertFalse(call.correct());
        assertEquals("unexpected_call", call.errorType());
        // a broken attempt is still an attempt (BFCL would count it as "no call")
        StrictResult broken = StrictScorer.score("<tool_call>\n{\"name\": \n</tool_call>", null, "response", TOOLS);
        assertFalse(broken.correct());
        StrictResult toolrlResponse = StrictScorer.score("<think> no tool needed </think>\n<response> Hello! </response>",
                null, "response", TOOLS);
        assertTrue(toolrlResponse.correct());
        assertEquals(" Hello! ", toolrlResponse.parsed().response());
    }

    @Test
    void callsInsideThinkAreIgnored() {
        String out = "<think>maybe <tool_call>{\"name\": \"x\"}</tool_call>?</think>\n"
                + hermes("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}");
        assertTrue(score(out, GOLD).correct());
    }

    @Test
    void arbitraryGarbageNeverThrows() {
        Random rnd = new Random(11);
        String alphabet = "<tool_call></tool_call><think></think>{}[]\":,0123456789.eE-+ \n\tnametrufalsNaInfy\\u00e9";
        StrictScorer scorer = StrictScorer.of(GOLD2, "tool_call", TOOLS);
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(200);
            for (int k = 0; k < len; k++) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            if (rnd.nextBoolean()) sb.insert(0, "<tool_call>\n");
            StrictResult r = scorer.score(sb.toString());
            assertFalse(r.correct());
            assertTrue(r.errorType() != null && !r.errorType().equals("scorer_error"), r.toString());
        }
        assertFalse(scorer.score(null).correct());
        assertEquals("no_call", scorer.score("").errorType());
        String deep = "<tool_call>" + "[".repeat(5000) + "</tool_call>";
        assertEquals("parse_error", scorer.score(deep).errorType());
    }

    @Test
    void badGoldOrToolsAreRejectedWhenTheScorerIsBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StrictScorer.of("[{\"name\": \"f\"", "tool_call", null));
        assertTrue(e.getMessage().startsWith("gold is not valid JSON: Expecting"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrictScorer.of("[{\"name\": \"f\"}]", "tool_call", null));
        assertEquals("gold call {'name': 'f'} is not {\"name\", \"arguments\"}: no \"arguments\" or \"parameters\" object", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrictScorer.of("[]", "tool_call", null));
        assertEquals("gold kind tool_call with an empty gold list", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrictScorer.of(GOLD, "toolcall", null));
        assertEquals("gold kind must be tool_call, response or irrelevance, got toolcall", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrictScorer.of(GOLD, "tool_call", List.of("{\"description\": 1}")));
        assertEquals("tool schema has no \"name\": {\"description\": 1}", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrictScorer.of(GOLD, "tool_call", List.of("not json")));
        assertTrue(e.getMessage().startsWith("tool schema is not valid JSON: "), e.getMessage());
    }

    @Test
    void toolCallWithoutGoldAcceptsAnyWellFormedCall() {
        // BFCL live_relevance: no ground truth; a non-empty decodable call is right.
        StrictScorer relevance = StrictScorer.of(null, "tool_call", null);
        assertTrue(relevance.score("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_call>").correct());
        assertEquals("no_call", relevance.score("I cannot help with that.").errorType());
        assertEquals("parse_error", relevance.score("<tool_call>{\"name\": </tool_call>").errorType());
    }
}
