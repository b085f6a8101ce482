package org.dfcspark.harvest;

import java.io.Serializable;

/**
 * One prompt ready for the models: the (truncated) token ids both models see, and the positions to harvest.
 *
 * @param ordinal       the prompt's 0-based index in the input table; with a position it makes the sample id
 * @param ids           token ids after truncation (empty when the prompt yields nothing to harvest)
 * @param positions     ascending indices into {@code ids} to harvest
 * @param inToolCall    per harvested position: the token lies inside a gold {@code <tool_call>…</tool_call>} block
 * @param toolCallKnown false when the tokenizer lacks single tokens for the tool-call markers (flag unknown)
 * @param truncated     the sequence was longer than the maximum length and was cut
 */
public record PreparedSequence(long ordinal, String promptId, String source, int[] ids, int[] positions,
                               boolean[] inToolCall, boolean toolCallKnown, boolean truncated) implements Serializable {
    /** Bits of the sample id reserved for the position: sequences up to 2^20 tokens. */
    public static final int POSITION_BITS = 20;

    public PreparedSequence {
        if (positions.length != inToolCall.length) {
            throw new IllegalArgumentException("prompt " + promptId + ": " + positions.length + " positions but "
                    + inToolCall.length + " tool-call flags");
        }
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0 || positions[i] >= ids.length || (i > 0 && positions[i] <= positions[i - 1])) {
                throw new IllegalArgumentException("prompt " + promptId + ": positions must be ascending indices below " + ids.length);
            }
        }
    }

    /** Globally unique, deterministic id of the row for (prompt, position): {@code ordinal << 20 | position}. */
    public static long sampleId(long ordinal, int position) {
        return (ordinal << POSITION_BITS) | position;
    }

    public int length() {
        return ids.length;
    }
}
