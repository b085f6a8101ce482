package org.dfcspark.harvest;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PositionPlannerTest {
    // 1 = <|im_start|> and 2 = <|im_end|> are special; 3/4 are the tool-call markers (plain tokens, as in Qwen2.5).
    private static final Set<Integer> SPECIAL = Set.of(1, 2);
    private static final int[] PROMPT = {1, 10, 11, 3, 4, 2, 1, 12, 13};      // a system text mentioning <tool_call></tool_call>
    private static final int[] ANSWER = {3, 20, 21, 4, 2};                       // <tool_call> .. </tool_call> <|im_end|>

    private static PositionPlanner planner(PositionMode mode, int max, TruncationSide side) {
        return new PositionPlanner(mode, max, side, SPECIAL, 3, 4);
    }

    @Test
    void lastIsTheLastNonSpecialPromptToken() {
        PreparedSequence s = planner(PositionMode.LAST, 64, TruncationSide.RIGHT).plan(5, "p", "src", PROMPT, new int[0]);
        assertArrayEquals(new int[] {8}, s.positions());
        assertArrayEquals(PROMPT, s.ids());
        assertFalse(s.truncated());
        int[] endsSpecial = {1, 10, 11, 2};
        assertArrayEquals(new int[] {2}, planner(PositionMode.LAST, 64, TruncationSide.RIGHT).plan(0, "q", "s", endsSpecial, new int[0]).positions());
    }

    @Test
    void allSkipsSpecialTokensUnlessTheyAreIncluded() {
        PreparedSequence s = planner(PositionMode.ALL, 64, TruncationSide.RIGHT).plan(0, "p", "s", PROMPT, new int[0]);
        assertArrayEquals(new int[] {1, 2, 3, 4, 7, 8}, s.positions());
        PreparedSequence keep = new PositionPlanner(PositionMode.ALL, 64, TruncationSide.RIGHT, Set.of(), 3, 4)
                .plan(0, "p", "s", PROMPT, new int[0]);
        assertEquals(PROMPT.length, keep.positions().length);
        // Markers in the prompt (the system text) are not a gold tool call.
        for (boolean f : s.inToolCall()) assertFalse(f);
    }

    @Test
    void assistantHarvestsTheTeacherForcedAnswerWithToolCallFlags() {
        PreparedSequence s = planner(PositionMode.ASSISTANT, 64, TruncationSide.RIGHT).plan(0, "p", "s", PROMPT, ANSWER);
        assertEquals(PROMPT.length + ANSWER.length, s.length());
        assertArrayEquals(new int[] {9, 10, 11, 12}, s.positions()); // <|im_end|> at 13 is special
        assertArrayEquals(new boolean[] {true, true, true, true}, s.inToolCall());
        assertTrue(s.toolCallKnown());

        int[] prose = {30, 3, 31, 4, 32, 2};
        PreparedSequence p = planner(PositionMode.ASSISTANT, 64, TruncationSide.RIGHT).plan(0, "p", "s", PROMPT, prose);
        assertArrayEquals(new boolean[] {false, true, true, true, false}, p.inToolCall());

        PreparedSequence unknown = new PositionPlanner(PositionMode.ASSISTANT, 64, TruncationSide.RIGHT, SPECIAL, -1, -1)
                .plan(0, "p", "s", PROMPT, ANSWER);
        assertFalse(unknown.toolCallKnown());
        assertArrayEquals(new boolean[4], unknown.inToolCall());
    }

    @Test
    void truncationKeepsTheConfiguredEnd() {
        PreparedSequence right = planner(PositionMode.LAST, 4, TruncationSide.RIGHT).plan(0, "p", "s", PROMPT, new int[0]);
        assertTrue(right.truncated());
        assertArrayEquals(new int[] {1, 10, 11, 3}, right.ids());
        assertArrayEquals(new int[] {3}, right.positions());

        PreparedSequence left = planner(PositionMode.ASSISTANT, 7, TruncationSide.LEFT).plan(0, "p", "s", PROMPT, ANSWER);
        assertArrayEquals(new int[] {12, 13, 3, 20, 21, 4, 2}, left.ids());
        assertArrayEquals(new int[] {2, 3, 4, 5}, left.positions());

        // Cutting the answer away entirely leaves nothing to harvest (and nothing to forward).
        PreparedSequence cut = planner(PositionMode.ASSISTANT, 5, TruncationSide.RIGHT).plan(0, "p", "s", PROMPT, ANSWER);
        assertEquals(0, cut.positions().length);
        assertEquals(0, cut.length());
        assertTrue(cut.truncated());
    }

    @Test
    void sampleIdsAreUniquePerPromptAndPosition() {
        assertEquals((3L << 20) | 17, PreparedSequence.sampleId(3, 17));
        assertNotEquals(PreparedSequence.sampleId(1, 0), PreparedSequence.sampleId(0, 1 << 19));
        assertThrows(IllegalArgumentException.class, () -> planner(PositionMode.ALL, 1 << 20, TruncationSide.RIGHT));
    }
}
