package org.dfcspark.jobs.evaluate;

import java.nio.file.Path;
import java.util.List;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.jobs.work.WorkItem;

/**
 * One Spark task: one crosscoder at one hook over one shard of the evaluation prompts, with the conditions the
 * driver expanded from the experiments and the ranking. Its output file and done marker have deterministic names,
 * so a retried or rerun item rewrites the same file and a finished one is skipped.
 *
 * @param firstPrompt the shard's first prompt's position in the evaluation list (the {@code prompt_index} column)
 * @param promptIds   the shard's prompts' ids, as the protocol renders them ({@link Preflight#encode})
 * @param toolMean    every feature's mean activation on the ranking's tool prompts (add-mode steering)
 */
public record EvaluationItem(EvaluationTarget target, int shard, int firstPrompt, List<PromptRecord> prompts, List<int[]> promptIds,
                             List<PlannedCondition> conditions,
                             double[] toolMean) implements WorkItem {

    /** {@code <crosscoder>/<hook>/shard-NNNNN}: the item's done marker is {@code OUT/items/<id>.done.json}. */
    @Override
    public String id() {
        return target.crosscoder() + "/" + target.hook() + "/" + String.format("shard-%05d", shard);
    }

    @Override
    public String describe() {
        return target.crosscoder() + " at " + target.hook() + ", shard " + shard + " (" + prompts.size() + " prompts from #" + firstPrompt + ")";
    }

    /** {@code OUT/items/}: the items' files and done markers. */
    public static Path root(Path out) {
        return out.resolve("items");
    }

    /** {@code OUT/generations/}: the generations table, whose files the items write. */
    public static Path generations(Path out) {
        return out.resolve("generations");
    }

    /**
     * The item's rows: {@code OUT/generations/<crosscoder>@<hook>@shard-NNNNN.parquet}, one file of the generations
     * table (flat: a directory per crosscoder would read as a partition column to Spark when its name has a '=').
     */
    public Path file(Path out) {
        return generations(out).resolve(id().replace('/', '@') + ".parquet");
    }
}
