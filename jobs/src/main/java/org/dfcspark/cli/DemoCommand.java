package org.dfcspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.experiment.ExperimentConfig;
import org.dfcspark.jobs.experiment.ExperimentJob;
import org.dfcspark.jobs.experiment.Stage;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.jobs.report.Headlines;
import org.dfcspark.model.ForwardResult;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Phase;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

/**
 * {@code bin/dfc demo}, the main job on embedded defaults. Part 1 shows the runtime on the bundled tiny model: batched
 * greedy generation, then the same prompts steered (add a contrastive direction at one layer) and patched (replace
 * one residual with another prompt's), printing what changed. Part 2 runs the demo experiment,
 * {@code conf/experiments/demo.conf}, on the project's model organism ({@code data/organism}: base model B, its
 * RL-trained twin A) exactly as {@code bin/dfc experiment} runs it (harvest, sweep, evaluate, report; every stage
 * resumable, a finished one skipped), then prints what ran, the headline numbers and where the report is.
 */
public final class DemoCommand implements Command {
    private static final String DEMO_CONFIG = "conf/experiments/demo.conf";

    @Override
    public String summary() {
        return "the main job on embedded defaults: runtime demo, then the demo experiment (harvest -> sweep -> evaluate -> report) on the model organism";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc demo [--out DIR] [--organism DIR] [--skip-organism] [--model DIR] [--max-new-tokens N] [--layer L] [--scale S]",
                "",
                "Part 1 (runtime, bundled tiny model):",
                "  --model DIR          Qwen2 directory (default: the bundled data/models/qwen2-tiny, random weights)",
                "  --max-new-tokens N   tokens per continuation (default 12)",
                "  --layer L            decoder layer whose output is edited (default: the middle layer)",
                "  --scale S            steering norm as a multiple of the mean residual norm there (default 1)",
                "Part 2 (the demo experiment, " + DEMO_CONFIG + ": A = rl, B = base of the model organism):",
                "  --out DIR            the experiment's run directory (default out/demo in the project); run again, it does",
                "                       only what is missing (nothing when complete)",
                "  --organism DIR       the organism (default data/organism): DIR/{base,rl} models and",
                "                       DIR/prompts/{tool-train,generic-train,tool-test}.parquet, as bin/dfc organism build writes them",
                "  --skip-organism      stop after part 1");
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("model", "max-new-tokens", "layer", "scale", "out", "organism");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("skip-organism");
    }

    @Override
    public int run(Args args) throws Exception {
        Path organism = args.has("organism") ? Path.of(args.get("organism")).toAbsolutePath() : ProjectPaths.data("organism");
        if (args.has("organism") && !args.flag("skip-organism") && !Files.isDirectory(organism)) {
            // Named but absent (mistyped): an error, not the note about an organism that is not built yet.
            throw new UsageException("--organism " + args.get("organism") + " does not exist (an organism directory holds base/ and rl/;"
                    + " bin/dfc organism build --out DIR writes one)");
        }
        Path out = args.has("out") ? Path.of(args.get("out")) : ProjectPaths.root().resolve("out/demo");
        runtimeDemo(args);
        if (args.flag("skip-organism")) {
            System.out.println("\n(part 2, the demo experiment on the model organism, skipped: --skip-organism)");
            return 0;
        }
        for (Path m : List.of(organism.resolve("base"), organism.resolve("rl"))) {
            if (!Files.isRegularFile(m.resolve("config.json")) || !Files.isRegularFile(m.resolve("model.safetensors"))) {
                System.out.println("\nNOTE: part 2 (the demo experiment on the model organism) needs the organism models in "
                        + organism + "/{base,rl}; " + m + " has no config.json + model.safetensors. Build them with "
                        + "`bin/dfc organism build` (about 15 minutes), then run `bin/dfc demo` again. Stopping after part 1.");
                return 0;
            }
        }
        return demoExperiment(organism, out);
    }

    /** demo.conf with the organism's models and prompt tables as absolute paths, so the demo runs from any directory. */
    private static ExperimentConfig demoConfig(Path organism) {
        Path prompts = organism.resolve("prompts");
        Config paths = ConfigFactory.parseMap(Map.of(
                "model_a", organism.resolve("rl").toString(),
                "model_b", organism.resolve("base").toString(),
                "training_prompts.tool", prompts.resolve("tool-train.parquet").toString(),
                "training_prompts.generic", prompts.resolve("generic-train.parquet").toString(),
                "evaluate.prompts", prompts.resolve("tool-test.parquet").toString()));
        return ExperimentConfig.fromFile(ProjectPaths.root().resolve(DEMO_CONFIG).toString(), paths);
    }

    private int demoExperiment(Path organism, Path out) throws Exception {
        System.out.printf("%n=== Part 2: the demo experiment on the model organism (A = %s, B = %s) ===%n", organism.resolve("rl"), organism.resolve("base"));
        System.out.printf("bin/dfc experiment --config %s --out %s   (models and prompt tables from %s)%n", DEMO_CONFIG, out, organism);
        long t0 = System.nanoTime();
        SparkSession spark = SparkSessions.get("dfc demo");
        ExperimentJob.Outcome o = ExperimentJob.run(demoConfig(organism), out, Stage.REPORT, false, () -> spark, System.err);
        System.out.printf(Locale.ROOT, "%nwhat ran (%.0f s):%n", (System.nanoTime() - t0) / 1e9);
        for (ExperimentJob.StageResult r : o.stages()) {
            System.out.printf(Locale.ROOT, "  %-9s %s%s -> %s%n", r.stage().id(), r.action(),
                    r.seconds() > 0 ? String.format(Locale.ROOT, " in %.1f s", r.seconds()) : "", r.stage().dir(o.out()));
        }
        System.out.println("\nheadlines (rates over the held-out tool requests; paired differences to the same model's clean run, 95% CI):");
        for (Headlines.Headline h : Headlines.of(spark, o.out())) h.lines().forEach(l -> System.out.println("  " + l));
        System.out.println("\nreport: " + o.out().resolve("report/report.html") + "   (run record: " + o.out().resolve("experiment.json") + ")");
        return 0;
    }

    private void runtimeDemo(Args args) throws Exception {
        Path dir = args.has("model") ? Path.of(args.get("model")) : ProjectPaths.data("models/qwen2-tiny");
        int maxNew = args.getInt("max-new-tokens", 12);
        if (maxNew < 1) throw new UsageException("--max-new-tokens must be >= 1");
        long t0 = System.nanoTime();
        try (Qwen2Model model = Qwen2Model.load(dir, Device.cpu())) {
            Qwen2Config c = model.config();
            int layer = args.getInt("layer", c.numHiddenLayers() / 2);
            if (layer < 0 || layer >= c.numHiddenLayers()) throw new UsageException("--layer must be in 0.." + (c.numHiddenLayers() - 1));
            double scale = args.getDouble("scale", 1.0);
            long params = model.parameters().values().stream().mapToLong(NDArray::size).sum();
            System.out.printf("=== Part 1: the Qwen2 runtime ===%ndfc demo: Qwen2 runtime (DJL/libtorch, CPU, float32) on %s%n", dir);
            System.out.printf("  %s%n  %,d parameters, loaded in %.2f s%n%n", c, params, (System.nanoTime() - t0) / 1e9);

            // three prompts of different lengths (ids: the bundled model has no tokenizer), batched with left padding
            SplittableRandom rng = new SplittableRandom(20240611);
            List<int[]> prompts = new ArrayList<>();
            for (int len : new int[] {7, 13, 20}) prompts.add(rng.ints(len, 0, Math.min(c.vocabSize(), 511)).toArray());
            GenerationConfig greedy = GenerationConfig.forModel(dir, maxNew);
            System.out.println("prompts (token ids):");
            for (int i = 0; i < prompts.size(); i++) System.out.printf("  [%d] %s%n", i, join(prompts.get(i)));

            long t1 = System.nanoTime();
            GenerationResult base = Generator.generate(model, prompts, greedy, List.of());
            double secs = (System.nanoTime() - t1) / 1e9;
            System.out.printf("%n1) without intervention: greedy, batch of %d, left padding, KV cache (%.0f ms)%n", prompts.size(), secs * 1e3);
            for (int i = 0; i < prompts.size(); i++) {
                System.out.printf("  [%d] -> %s   mean log-prob %.2f%n", i, join(base.generated(i)), mean(base.logProbs(i)));
            }

            // a contrastive direction: mean residual of prompt 2 minus mean residual of prompt 0 at the layer's output
            HookPoint hook = HookPoint.residPost(layer);
            float[] direction;
            double meanNorm;
            try (NDManager scope = NDManager.newBaseManager()) {
                ForwardResult r0 = model.forward(scope, TokenBatch.leftPadded(List.of(prompts.get(0)), 0),
                        List.of(Intervention.capture(hook, Positions.all())), Qwen2Model.Logits.NONE);
                ForwardResult r2 = model.forward(scope, TokenBatch.leftPadded(List.of(prompts.get(2)), 0),
                        List.of(Intervention.capture(hook, Positions.all())), Qwen2Model.Logits.NONE);
                NDArray a0 = r0.captured(hook).get(0), a2 = r2.captured(hook).get(0);
                meanNorm = (a0.norm(new int[] {-1}).mean().getFloat() + a2.norm(new int[] {-1}).mean().getFloat()) / 2;
                NDArray dirArr = a2.mean(new int[] {0}).sub(a0.mean(new int[] {0}));
                direction = dirArr.div(dirArr.norm()).mul((float) (scale * meanNorm)).toFloatArray();
            }
            Intervention steer = Intervention.add(hook, direction, 1.0, Positions.all(), Phase.EVERY_STEP);
            GenerationResult steered = Generator.generate(model, prompts, greedy, List.of(steer));
            System.out.printf("%n2) with intervention: add a steering vector at %s (every position, every step);%n", hook.name());
            System.out.printf("   v = mean residual of prompt 2 - mean of prompt 0, |v| = %.1f x mean residual norm (%.2f)%n", scale, meanNorm);
            int changed = 0;
            for (int i = 0; i < prompts.size(); i++) {
                int diff = differing(base.generated(i), steered.generated(i));
                changed += diff;
                System.out.printf("  [%d] -> %s   (%d of %d tokens differ)%n", i, mark(base.generated(i), steered.generated(i)), diff,
                        steered.generated(i).length);
            }

            // activation patching: prompt 0's last residual at the layer replaced by prompt 2's
            float[] donor;
            try (NDManager scope = NDManager.newBaseManager()) {
                donor = model.forward(scope, TokenBatch.leftPadded(List.of(prompts.get(2)), 0),
                        List.of(Intervention.capture(hook, Positions.lastPrompt())), Qwen2Model.Logits.NONE).captured(hook).get(0, 0).toFloatArray();
            }
            Intervention patch = Intervention.replace(hook, new float[][] {donor}, Positions.lastPrompt(), Phase.PREFILL);
            GenerationResult patched = Generator.generate(model, List.of(prompts.get(0)), greedy, List.of(patch));
            System.out.printf("%n3) with intervention: replace %s at prompt 0's last position by prompt 2's (prompt forward only)%n", hook.name());
            System.out.printf("  [0] -> %s   (%d of %d tokens differ; first token %s prompt 2's first token %d)%n",
                    mark(base.generated(0), patched.generated(0)), differing(base.generated(0), patched.generated(0)),
                    patched.generated(0).length, patched.generated(0)[0] == base.generated(2)[0] ? "=" : "!=", base.generated(2)[0]);
            System.out.printf("%nsummary: steering changed %d of %d generated tokens; patching changed %d of %d. "
                            + "Tokens marked * differ from the run without intervention.%n",
                    changed, Arrays.stream(new int[] {0, 1, 2}).map(i -> steered.generated(i).length).sum(),
                    differing(base.generated(0), patched.generated(0)), patched.generated(0).length);
        }
    }

    private static String join(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(sb.length() == 0 ? "" : " ").append(id);
        return sb.toString();
    }

    /** The new ids, with '*' after each one that differs from the baseline at the same step. */
    private static String mark(int[] base, int[] other) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < other.length; i++) {
            sb.append(i == 0 ? "" : " ").append(other[i]);
            if (i >= base.length || base[i] != other[i]) sb.append('*');
        }
        return sb.toString();
    }

    private static int differing(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < Math.max(a.length, b.length); i++) if (i >= a.length || i >= b.length || a[i] != b[i]) n++;
        return n;
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return v.length == 0 ? 0 : s / v.length;
    }
}
