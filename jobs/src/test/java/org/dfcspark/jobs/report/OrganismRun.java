package org.dfcspark.jobs.report;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Diagnostics;
import org.dfcspark.jobs.PromptsTable;
import org.dfcspark.jobs.evaluate.EvaluateJob;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.harvest.StoreActivations;
import org.dfcspark.jobs.train.TrainJob;
import org.dfcspark.dfc.train.TrainConfig;

/**
 * A small organism experiment in the run-directory layout the report reads: {@code harvest/} (48 tool + 48 generic
 * training prompts, last token, blocks.2), {@code sweep/variants/} (a tied DFC and a plain crosscoder, 150 steps each)
 * with a {@code sweep/summary.parquet} of the sweep's schema filled from those checkpoints, {@code evaluation/} (fixed
 * protocol, every experiment type on 4 tool prompts, 32 new tokens: the organism's calls fit, as in its RL training) and {@code evaluation-paper/} (paper protocol,
 * clean and reconstruction on 2 generic prompts, ranked on 16 + 16 generic texts: the organism's 512-token context cannot
 * hold ToolRL's raw tool prompts, as in EvaluateJobTest).
 */
final class OrganismRun {
    static final String HOOK = "blocks.2.hook_resid_post";
    private static final ObjectMapper JSON = new ObjectMapper();

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

        Path variants = run.resolve("sweep/variants");
        List<Row> summary = new ArrayList<>();
        for (String[] v : new String[][] {{"dfc-organism", "dfc", "0.25", "tied"}, {"cc-organism", "cc", "0", "separate"}}) {
            TrainConfig cfg = TrainConfig.fromFile(ProjectPaths.root().resolve("conf/train/organism.conf").toString()).with(settings("store", store.toString(),
                    "hook", HOOK, "dict_size", "128", "k", "8", "excl_a", v[2], "excl_b", v[2], "coupling", v[3], "steps", "150", "decay_start", "120",
                    "batch", "32", "checkpoint_every", "0"));
            TrainJob.Outcome t = TrainJob.run(spark, cfg, variants.resolve(v[0]), false, log);
            if (!t.stopped().isEmpty()) throw new IllegalStateException(v[0] + " stopped: " + t.stopped());
            summary.add(summaryRow(v, variants.resolve(v[0]), store, t));
        }
        spark.createDataFrame(summary, SUMMARY).coalesce(1).write().parquet(run.resolve("sweep/summary.parquet").toString());

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

    /** The sweep summary's contract (the lead's sweep job writes the same columns). */
    static final StructType SUMMARY = schema("name", StringType, "hook", StringType, "dict_size", IntegerType, "k", IntegerType, "excl_a", DoubleType,
            "excl_b", DoubleType, "coupling", StringType, "family", StringType, "status", StringType, "reason", StringType, "steps", LongType,
            "fvu_a", DoubleType, "fvu_b", DoubleType, "l0", DoubleType, "dead_share", DoubleType, "max_forbidden", DoubleType, "exclusive_ok", BooleanType,
            "diff_norm", DoubleType, "share_normalization", DoubleType, "share_decoder_bias", DoubleType, "share_shared", DoubleType,
            "share_a_exclusive", DoubleType, "share_b_exclusive", DoubleType, "share_error", DoubleType, "rows_per_s", DoubleType, "wall_s", DoubleType,
            "checkpoint", StringType);

    /** Honest values: the last metrics line of the training run and the decomposition over the store it trained on. */
    private static Row summaryRow(String[] v, Path checkpoint, Path store, TrainJob.Outcome t) throws IOException {
        List<String> metrics = Files.readAllLines(checkpoint.resolve("metrics.jsonl"));
        JsonNode last = JSON.readTree(metrics.get(metrics.size() - 1));
        Crosscoder cc = Checkpoint.load(checkpoint);
        Diagnostics.Decomposition d = Diagnostics.meanDifference(cc, StoreActivations.load(store.toString(), 2), 64, 1);
        double n = d.dataNorm(), forbidden = cc.verifyPartition();
        return RowFactory.create(v[0], HOOK, 128, 8, Double.parseDouble(v[2]), Double.parseDouble(v[2]), v[3], v[1], "finished", null, t.steps(),
                last.path("fvu_a").asDouble(), last.path("fvu_b").asDouble(), last.path("l0").asDouble(), last.path("dead_frac").asDouble(), forbidden,
                forbidden == 0, n, d.carried("normalization") / n, d.carried("decoder bias") / n, d.carried("shared") / n, d.carried("A-exclusive") / n,
                d.carried("B-exclusive") / n, d.carried("error") / n, t.rowsPerSecond(), t.seconds(), checkpoint.toString());
    }

    private static Map<String, String> settings(String... keyValue) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValue.length; i += 2) m.put(keyValue[i], keyValue[i + 1]);
        return m;
    }

    private static StructType schema(Object... nameType) {
        List<StructField> fields = new ArrayList<>();
        for (int i = 0; i < nameType.length; i += 2) {
            fields.add(DataTypes.createStructField((String) nameType[i], (org.apache.spark.sql.types.DataType) nameType[i + 1], true));
        }
        return DataTypes.createStructType(fields);
    }
}
