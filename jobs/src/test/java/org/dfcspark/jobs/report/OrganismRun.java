package org.dfcspark.jobs.report;

import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.evaluate.EvaluateJob;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.sweep.SweepJob;

/**
 * A small organism experiment in the run-directory layout the report reads: {@code harvest/} (48 tool + 48 generic
 * training prompts, last token, blocks.2), {@code sweep/} (the sweep job over a tied DFC and a plain crosscoder, 150
 * steps each: {@code variants/} and {@code summary.parquet}), {@code evaluation/} (fixed
 * protocol, every experiment type on 4 tool prompts, 32 new tokens: the organism's calls fit, as in its RL training) and {@code evaluation-paper/} (paper protocol,
 * clean and reconstruction on 2 generic prompts, ranked on 16 + 16 generic texts: the organism's 512-token context cannot
 * hold ToolRL's raw tool prompts, as in EvaluateJobTest).
 */
final class OrganismRun {
    static final String HOOK = "blocks.2.hook_resid_post";

    private OrganismRun() {}

    static Path build(SparkSession spark, Path run, PrintStream log) throws Exception {
        Path organism = ProjectPaths.data("organism");
        List<Row> rows = new ArrayList<>();
        for (String t : List.of("tool-train", "generic-train")) {
            for (PromptRecord r : PromptsTable.readLocal(spark, organism.resolve("prompts/" + t + ".parquet").toString(), 48)) rows.add(PromptsTable.toRow(r));
        }
        Path prompts = run.resolve("inputs/train-prompts");
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(prompts.toString());
        Path store = run.resolve("harvest");
        String[] flags = {"--model-a", organism.resolve("rl").toString(), "--model-b", organism.resolve("base").toString(), "--prompts", prompts.toString(),
                "--layers", "2", "--positions", "last", "--rendering", "chat", "--dtype", "f32", "--out", store.toString(), "--batch-size", "16",
                "--shard-size", "48"};
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(flags, HarvestOptions.valuedFlags(), HarvestOptions.switchFlags())), line -> {});

        // the sweep stage: bin/dfc sweep's own job over a two-variant grid (one lockstep task)
        SweepGrid grid = SweepGrid.fromConfig(ConfigFactory.parseString("""
                include file("%s")
                train { store = "%s", dict_size = 128, k = 8, steps = 150, decay_start = 120, batch = 32, checkpoint_every = 0 }
                sweep {
                  name = "{family}-organism"
                  hooks = [%s]
                  axes { variant = [{family = dfc, excl_a = 0.25, excl_b = 0.25, coupling = tied},
                                    {family = cc, excl_a = 0, excl_b = 0, coupling = separate}] }
                }
                """.formatted(ProjectPaths.root().resolve("conf/train/organism.conf"), store, HOOK)).resolve(), "OrganismRun grid");
        SweepJob.Outcome swept = SweepJob.run(spark, grid, run.resolve("sweep"), java.util.Set.of(), false, 30, log);
        if (swept.finished() != 2) throw new IllegalStateException("the sweep did not finish both variants: " + swept);
        Path variants = run.resolve("sweep/variants");

        EvaluateJob.run(spark, evaluation(organism, variants, "fixed", "tool-test", 4, "tool-train", 48, """
                  { type = clean,          models = [A, B] }
                  { type = reconstruction, models = [A, B], positions = last, keep_error = [false, true] }
                  { type = steering, model = B, partition = a_exclusive, mode = add, side = A, betas = [1, 4], sizes = [1] }
                  { type = steering, model = A, partition = a_exclusive, mode = scale, alphas = [1, 16], sizes = [1, 2] }
                  { type = control,  model = B, kind = random_direction, like = steering }
                """), run.resolve("evaluation"), log);
        EvaluateJob.run(spark, evaluation(organism, variants, "paper", "generic-test", 2, "generic-test", 16, """
                  { type = clean,          models = [A, B] }
                  { type = reconstruction, models = [A, B], positions = last, keep_error = [false] }
                """), run.resolve("evaluation-paper"), log);
        return run;
    }

    /** {@code rankingTool}: the paper protocol's raw rendering of tool prompts exceeds the organism's context, so it ranks on text. */
    private static EvaluateOptions evaluation(Path organism, Path variants, String protocol, String prompts, int limit, String rankingTool,
                                              int rankingLimit, String experiments) {
        return EvaluateOptions.fromString("""
                model_a = "%1$s/rl"
                model_b = "%1$s/base"
                prompts = "%1$s/prompts/%4$s.parquet"
                limit = %5$d
                ranking_prompts { tool = "%1$s/prompts/%8$s.parquet", generic = "%1$s/prompts/generic-train.parquet", limit = %9$d }
                crosscoders = ["%2$s"]
                hooks = ["%3$s"]
                protocol = %6$s
                max_new_tokens = %10$d
                shard_size = 4
                experiments = [
                %7$s]
                """.formatted(organism, variants, HOOK, prompts, limit, protocol, experiments, rankingTool, rankingLimit,
                protocol.equals("fixed") ? 32 : 12), List.of());
    }


}
