package org.dfcspark.harvest;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Set;

/**
 * Turns token ids (prompt, plus the gold answer when it is teacher-forced) into a {@link PreparedSequence}:
 * truncation to the maximum length on the configured side, then the positions of the mode with excluded
 * (BOS/special) tokens removed, then the in-tool-call flag of each harvested position.
 */
public final class PositionPlanner implements Serializable {
    private static final long serialVersionUID = 1L;

    private final PositionMode mode;
    private final int maxLength;
    private final TruncationSide side;
    private final int[] excludedIds;
    private final int toolCallOpenId;
    private final int toolCallCloseId;

    /**
     * @param excludedIds     token ids never harvested (BOS, special tokens); empty to keep everything
     * @param toolCallOpenId  id of {@code <tool_call>}, or -1 when it is not a single token
     * @param toolCallCloseId id of {@code </tool_call>}, or -1 when it is not a single token
     */
    public PositionPlanner(PositionMode mode, int maxLength, TruncationSide side, Set<Integer> excludedIds,
                           int toolCallOpenId, int toolCallCloseId) {
        if (maxLength < 1 || maxLength >= (1 << PreparedSequence.POSITION_BITS)) {
            throw new IllegalArgumentException("max length must be in [1, " + (1 << PreparedSequence.POSITION_BITS) + "), got " + maxLength);
        }
        this.mode = mode;
        this.maxLength = maxLength;
        this.side = side;
        this.excludedIds = excludedIds.stream().mapToInt(Integer::intValue).sorted().toArray();
        this.toolCallOpenId = toolCallOpenId;
        this.toolCallCloseId = toolCallCloseId;
    }

    public PositionMode mode() {
        return mode;
    }

    public boolean excluded(int tokenId) {
        return Arrays.binarySearch(excludedIds, tokenId) >= 0;
    }

    /**
     * @param promptIds the rendered prompt's ids
     * @param answerIds the gold answer's ids (assistant mode), appended after the prompt; empty otherwise
     */
    public PreparedSequence plan(long ordinal, String promptId, String source, int[] promptIds, int[] answerIds) {
        int[] full = new int[promptIds.length + answerIds.length];
        System.arraycopy(promptIds, 0, full, 0, promptIds.length);
        System.arraycopy(answerIds, 0, full, promptIds.length, answerIds.length);
        boolean[] toolCall = toolCallMask(full, promptIds.length);

        int from = 0;
        int to = full.length;
        boolean truncated = full.length > maxLength;
        if (truncated) {
            if (side == TruncationSide.RIGHT) to = maxLength;
            else from = full.length - maxLength;
        }
        int[] ids = Arrays.copyOfRange(full, from, to);
        int answerStart = Math.max(0, Math.min(promptIds.length, to) - from);

        int[] candidates = switch (mode) {
            case LAST -> lastKept(ids, answerStart);
            case ALL -> kept(ids, 0, answerStart);
            case ASSISTANT -> kept(ids, answerStart, ids.length);
        };
        boolean[] flags = new boolean[candidates.length];
        for (int i = 0; i < candidates.length; i++) flags[i] = toolCall[from + candidates[i]];
        return new PreparedSequence(ordinal, promptId, source, candidates.length == 0 ? new int[0] : ids, candidates, flags,
                toolCallOpenId >= 0 && toolCallCloseId >= 0, truncated);
    }

    private int[] kept(int[] ids, int from, int to) {
        return java.util.stream.IntStream.range(from, to).filter(i -> !excluded(ids[i])).toArray();
    }

    private int[] lastKept(int[] ids, int end) {
        for (int i = end - 1; i >= 0; i--) if (!excluded(ids[i])) return new int[] {i};
        return new int[0];
    }

    /** Tokens from a {@code <tool_call>} through its {@code </tool_call>} (both included), in the answer only. */
    private boolean[] toolCallMask(int[] ids, int answerStart) {
        boolean[] mask = new boolean[ids.length];
        if (toolCallOpenId < 0 || toolCallCloseId < 0) return mask;
        boolean inside = false;
        for (int i = answerStart; i < ids.length; i++) {
            if (ids[i] == toolCallOpenId) inside = true;
            mask[i] = inside;
            if (ids[i] == toolCallCloseId) inside = false;
        }
        return mask;
    }
}
