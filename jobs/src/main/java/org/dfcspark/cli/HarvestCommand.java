package org.dfcspark.cli;

import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.options.Args;

/** {@code bin/dfc harvest}: paired residual-stream activations of models A and B into a Parquet store. */
public final class HarvestCommand implements Command {
    @Override
    public String summary() {
        return "harvest paired activations of models A and B into a Parquet store (Spark)";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc harvest --model-a DIR --model-b DIR --prompts PATH --layers 1,13 --out DIR
                                       [--positions last|all|assistant] [--dtype f16|bf16|f32] [--shuffle] [--master URL]
                                       [--config FILE.conf] [more flags below]

                Runs A and B on the same token ids and writes the residual stream after each decoder layer in
                --layers (blocks.L.hook_resid_post) at the chosen positions: OUT/activations/layer=L/*.parquet,
                OUT/manifest.json, OUT/statistics.json (and OUT/shuffled/ with --shuffle). Exactly once and
                resumable: re-running a finished harvest does nothing, a killed one resumes where it stopped.

                  --model-a DIR, --model-b DIR   HF model directories (same architecture, hidden size and tokenizer)
                  --prompts PATH                 prompts table (Parquet, bin/dfc prompts import) or plain-text table
                                                 (Parquet with a 'text' column, or JSON Lines of {"text": ...})
                  --layers L1,L2,...             decoder layers (0-based)
                  --positions last|all|assistant last prompt token (default) | every prompt token | the gold
                                                 assistant turn, teacher-forced (prompts with tool-call gold)
                  --rendering chat|raw|toolrl    how a prompt becomes text (default chat)
                  --out DIR                      the store (local path or any Hadoop file system with atomic rename)
                  --dtype f16|bf16|f32           stored vector type (default f16)
                  --max-length N                 tokens kept per sequence (default 512)
                  --truncation right|left        which end is cut (default right)
                  --include-special              also harvest special tokens (excluded by default)
                  --sink-factor X                a position whose norm exceeds X x the sequence median is a sink
                                                 (default 100; 0 disables)
                  --sink-policy drop|flag        drop sinks (default) or keep them with sink = true
                  --shuffle                      also write a seeded globally shuffled copy for training
                  --shuffle-seed N               default 42
                  --batch-size N                 sequences per forward (default 8)
                  --shard-size N                 prompts per shard = per Spark task (default 64)
                  --threads N                    libtorch threads per task (default cores / concurrent tasks)
                  --compute-dtype f32|f16        model precision (f16 only on GPUs; default f32)
                  --master URL                   Spark master (default local[2]; spark-submit sets it)
                  --progress-seconds S           progress line interval (default 10)
                  --config FILE.conf             the same keys in HOCON (optionally in a harvest { } block);
                                                 flags override the file
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return HarvestOptions.valuedFlags();
    }

    @Override
    public Set<String> switchFlags() {
        return HarvestOptions.switchFlags();
    }

    @Override
    public int run(Args args) throws Exception {
        HarvestOptions o = HarvestOptions.from(args);
        if (o.master() != null) System.setProperty("spark.master", o.master());
        o.resolvedFor(SparkSessions.requestedConf()); // paths the executors would not see: refused before Spark starts
        SparkSession spark = SparkSessions.get("dfc harvest");
        HarvestJob.run(spark, o, System.err::println);
        return 0;
    }
}
