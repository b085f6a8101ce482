package org.dfcspark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.harvest.PositionMode;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.harvest.HarvestBench;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc bench harvest}: harvest throughput vs pure forward (and vs a plain HF harvester). */
public final class HarvestBenchCommand implements Command {
    @Override
    public String summary() {
        return "benchmark: end-to-end harvest tokens/s vs pure forward and vs HF transformers";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc bench harvest [--preset qwen0.5b|tiny] [--layers 12] [--prompts 64] [--length 256]
                                             [--batch-size 8] [--threads N] [--positions all|last] [--dtype f16]
                                             [--master local[1]] [--python PATH] [--work DIR]

                Random models A and B of the preset's shape (qwen0.5b: hidden 896, 24 layers, 14 heads, 2 KV heads,
                intermediate 4864, vocab 151936), N shipped texts cut to exactly --length tokens. Measures, in one run:
                the pure forward of A and B over the harvest's batches (same captures, no Spark, no writing), the
                end-to-end harvest (plan, both models, Parquet, statistics, manifest), and with --python the plain
                HF-transformers harvester tools/reference/harvest_hf.py on the same token ids (default: .venv/bin/python
                when it exists). Results also go to WORK/bench-harvest.json (default WORK: target/bench-harvest).
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("preset", "layers", "prompts", "length", "batch-size", "threads", "positions", "dtype", "master", "python", "work");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("no-python");
    }

    @Override
    public int run(Args args) throws Exception {
        String preset = args.get("preset", "qwen0.5b");
        int threads = args.getInt("threads", Runtime.getRuntime().availableProcessors());
        String python = args.get("python");
        Path venv = ProjectPaths.root().resolve(".venv/bin/python");
        if (python == null && !args.flag("no-python") && Files.isExecutable(venv)) python = venv.toString();
        if (args.flag("no-python")) python = null;
        PositionMode positions;
        try {
            positions = PositionMode.parse(args.get("positions", "all"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (positions == PositionMode.ASSISTANT) throw new UsageException("--positions assistant needs gold answers; the bench uses plain texts");
        int layersDefault = preset.equals("tiny") ? 1 : 12;
        HarvestBench.Settings s = new HarvestBench.Settings(preset,
                HarvestOptions.parseLayers(args.get("layers", Integer.toString(layersDefault))),
                args.getInt("prompts", 64), args.getInt("length", 256), args.getInt("batch-size", 8), threads, positions,
                args.get("dtype", "f16"), python, Path.of(args.get("work", ProjectPaths.root().resolve("target/bench-harvest").toString())));
        System.setProperty("spark.master", args.get("master", "local[1]"));
        HarvestBench.run(SparkSessions.get("dfc bench harvest"), s, System.out::println);
        return 0;
    }
}
