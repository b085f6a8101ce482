package org.dfcspark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.evaluate.BenchPair;
import org.dfcspark.jobs.evaluate.EvaluateBench;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc bench evaluate}: the steering grid on the organism, dfc vs HF transformers' two loops. */
public final class BenchEvaluateCommand implements Command {
    private static final String GRID = """
            experiments = [
              { type = steering, model = B, partition = a_exclusive, mode = add, side = A, betas = [1, 4], sizes = [1] }
              { type = steering, model = A, partition = a_exclusive, mode = scale, alphas = [1, 6, 16, 32, 64], sizes = [1, 2, 5, 10] }
              { type = control,  model = B, kind = random_direction, like = steering }
            ]
            """;

    @Override
    public String summary() {
        return "benchmark: the steering grid's generations/s, dfc evaluate vs HF transformers (paper loop, batched loop)";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc bench evaluate [--pair organism|qwen0.5b] [--crosscoder DIR] [--hook NAME] [--prompts 40]
                                              [--reference-prompts N] [--max-new-tokens 48] [--organism DIR] [--model-a NAME] [--python PATH] [--work DIR]

                The steering grid of issue 11 (B steered with the top A-exclusive feature, add, beta 1 and 4; A steered with the
                top 1, 2, 5, 10 A-exclusive features, scale, alpha 1, 6, 16, 32, 64; the random-direction control of B's
                steering; the clean runs) over the first --prompts tool-test requests of the organism, by bin/dfc evaluate
                (local mode, the whole job timed), then with --python (torch + transformers; default .venv/bin/python when it
                exists) by tools/reference/bench_evaluate_hf.py: the paper's loop (one generate per prompt x condition, a forward
                hook at the last prompt token) and a batched loop (one generate per prompt and model), on the same prompt ids
                and the same residual edits. Prints generations/s, the ratios and how many generations are token-identical.
                  --pair        organism (default): the organism's A and B with --crosscoder; qwen0.5b: two random models of
                                Qwen2.5-0.5B's shape (d 896, 24 layers, vocab 151936) with the organism's tokenizer and an
                                untrained DFC (D 2048, k 128, 3% exclusive) at blocks.12, made once under WORK/pair-qwen0.5b
                                (4 GB); a random model never stops early, so each generation runs to --max-new-tokens
                  --crosscoder  a checkpoint (organism; default: out/demo/sweep/variants/dfc-k16 of bin/dfc demo)
                  --hook        the hook it was trained at (organism; default blocks.2.hook_resid_post)
                  --model-a     the organism's A: rl-mid (default) or rl; B is base
                  --reference-prompts  the references generate only for N of the prompts, evenly spaced (default: all);
                                their time is per generation, so their rate on the sample is compared with dfc's on all
                  --work        where dfc's evaluation and the reference's input go (default target/bench-evaluate)
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("pair", "crosscoder", "hook", "prompts", "reference-prompts", "max-new-tokens", "organism", "model-a", "python", "work", "threads");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("no-python");
    }

    @Override
    public int run(Args args) throws Exception {
        Path root = ProjectPaths.root();
        Path organism = Path.of(args.get("organism", ProjectPaths.data("organism").toString())).toAbsolutePath();
        Path work = Path.of(args.get("work", root.resolve("target/bench-evaluate").toString())).toAbsolutePath();
        Files.createDirectories(work);
        BenchPair pair = switch (args.get("pair", "organism")) {
            case "organism" -> {
                Path crosscoder = Path.of(args.get("crosscoder", root.resolve("out/demo/sweep/variants/dfc-k16").toString())).toAbsolutePath();
                if (!Files.isDirectory(crosscoder)) {
                    throw new UsageException("no crosscoder at " + crosscoder + ": pass --crosscoder DIR, or run bin/dfc demo first (it trains out/demo's)");
                }
                yield BenchPair.organism(organism, args.get("model-a", "rl-mid"), crosscoder, args.get("hook", "blocks.2.hook_resid_post"));
            }
            case "qwen0.5b" -> {
                for (String f : List.of("crosscoder", "hook", "model-a")) {
                    if (args.get(f) != null) throw new UsageException("--" + f + " is for --pair organism; the random pair brings its own");
                }
                yield BenchPair.randomQwen05b(work.resolve("pair-qwen0.5b"), organism, System.out::println);
            }
            default -> throw new UsageException("--pair must be organism or qwen0.5b, got " + args.get("pair"));
        };
        int prompts = args.getInt("prompts", 40), maxNew = args.getInt("max-new-tokens", 48);
        int referencePrompts = args.getInt("reference-prompts", prompts);
        if (prompts < 2 || maxNew < 1 || referencePrompts < 1 || referencePrompts > prompts) {
            throw new UsageException("--prompts must be >= 2, --max-new-tokens >= 1 and --reference-prompts between 1 and --prompts");
        }
        String python = args.get("python");
        Path venv = root.resolve(".venv/bin/python");
        if (python == null && Files.isExecutable(venv)) python = venv.toString();
        if (args.flag("no-python")) python = null;
        int threads = args.getInt("threads", Runtime.getRuntime().availableProcessors());
        String hocon = String.format(Locale.ROOT, """
                model_a = "%s"
                model_b = "%s"
                prompts = "%s"
                limit = %d
                ranking_prompts { tool = "%s", generic = "%s", limit = %d }
                crosscoders = ["%s"]
                hooks = ["%s"]
                protocol = fixed
                max_new_tokens = %d
                shard_size = %d
                """, pair.modelA(), pair.modelB(), organism.resolve("prompts/tool-test.parquet"), prompts,
                organism.resolve("prompts/tool-train.parquet"), organism.resolve("prompts/generic-train.parquet"), pair.rankingLimit(),
                pair.crosscoder(), pair.hook(), maxNew, (prompts + 1) / 2) + GRID;
        EvaluateOptions o;
        try {
            o = EvaluateOptions.fromString(hocon, List.of());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        System.out.printf(Locale.ROOT, "bench evaluate: %s, %s at %s%n", pair.name(), pair.crosscoder(), pair.hook());
        EvaluateOptions warmUp = EvaluateOptions.fromString(hocon, List.of("limit=4", "shard_size=2"));
        EvaluateBench.Result r = EvaluateBench.run(SparkSessions.get("dfc bench evaluate"), o, warmUp, work, python, threads, referencePrompts,
                System.out);
        System.out.printf(Locale.ROOT, "%ndfc evaluate, whole job:  %d generations in %7.1f s = %7.2f generations/s%n", r.generations(),
                r.oursSeconds(), r.oursPerSecond());
        System.out.printf(Locale.ROOT, "dfc evaluate, work items: %d generations in %7.1f s = %7.2f generations/s%n", r.generations(),
                r.oursItemsSeconds(), r.oursItemsPerSecond());
        if (python == null) {
            System.out.println("(no --python: HF transformers not run; it needs torch + transformers, e.g. pip install /opt/wheels/torch-*.whl transformers)");
            return 0;
        }
        double loop = r.hfLoopPerSecond(), batch = r.hfBatchPerSecond();
        System.out.printf(Locale.ROOT, "HF, the paper's loop:     %d generations in %7.1f s = %7.2f generations/s   dfc / HF = %.1fx whole job, %.1fx items"
                + " (target >= 10x)%n", r.compared(), r.hfLoopSeconds(), loop, r.oursPerSecond() / loop, r.oursItemsPerSecond() / loop);
        System.out.printf(Locale.ROOT, "HF, batched per prompt:   %d generations in %7.1f s = %7.2f generations/s   dfc / HF = %.1fx whole job, %.1fx items"
                + " (target >= 2x)%n", r.compared(), r.hfBatchSeconds(), batch, r.oursPerSecond() / batch, r.oursItemsPerSecond() / batch);
        System.out.printf(Locale.ROOT, "token-identical to dfc's: %d / %d (paper loop), %d / %d (batched)%n", r.identicalLoop(), r.compared(),
                r.identicalBatch(), r.compared());
        return 0;
    }
}
