package org.dfcspark.jobs.evaluate;

import java.io.Serializable;
import java.util.List;

/**
 * The token ids of an evaluation's prompts as the protocol renders them, made once on the driver ({@link Preflight#encode})
 * and sent to the ranking stage and the work items.
 *
 * @param evaluation the evaluation prompts' ids, in the order of {@code prompt_index}
 * @param tool       the ranking's tool prompts' ids
 * @param generic    the ranking's generic prompts' ids
 * @param padId      the tokenizer's pad id (left padding of batches)
 */
public record EncodedPrompts(List<int[]> evaluation, List<int[]> tool, List<int[]> generic, int padId) implements Serializable {}
