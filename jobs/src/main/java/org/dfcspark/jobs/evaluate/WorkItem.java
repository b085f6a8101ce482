package org.dfcspark.jobs.evaluate;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import org.dfcspark.data.PromptRecord;

/**
 * One Spark task: one crosscoder at one hook over one shard of the evaluation prompts, with the conditions the
 * driver expanded from the experiments and the ranking. Its output file and done marker have deterministic names,
 * so a retried or rerun item rewrites the same file and a finished one is skipped.
 *
 * @param firstPrompt the shard's first prompt's position in the evaluation list (the {@code prompt_index} column)
 * @param toolMean    every feature's mean activation on the ranking's tool prompts (add-mode steering)
 */
public record WorkItem(EvaluationTarget target, int shard, int firstPrompt, List<PromptRecord> prompts, List<PlannedCondition> conditions,
                       double[] toolMean) implements Serializable {

    /** {@code OUT/items/<crosscoder>/<hook>/}. */
    public Path dir(Path out) {
        return out.resolve("items").resolve(target.crosscoder()).resolve(target.hook());
    }

    /** The item's rows, one JSON object per generation. */
    public Path file(Path out) {
        return dir(out).resolve(String.format("shard-%05d.jsonl", shard));
    }

    /** Written after the file is in place; holds the token counts. */
    public Path marker(Path out) {
        return dir(out).resolve(String.format("shard-%05d.done.json", shard));
    }
}
