package org.dfcspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.DiffPipeline;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
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
 * one residual with another prompt's), printing what changed. Part 2 runs the whole diff ({@link DiffPipeline}) on
 * the project's model organism ({@code data/organism}: base model B, its RL-trained twin A): harvest, tied DFC,
 * where the A−B difference goes, the top A-exclusive feature, and steering B with it on held-out tool requests.
 */
public final class DemoCommand implements Command {
    @Override
    public String summary() {
        return "the main job on embedded defaults: runtime demo, then harvest -> DFC -> steering on the model organism";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc demo [--work DIR] [--quick] [--skip-organism] [--model DIR] [--max-new-tokens N] [--layer L] [--scale S]",
                "",
                "Part 1 (runtime, bundled tiny model):",
                "  --model DIR          Qwen2 directory (default: the bundled data/models/qwen2-tiny, random weights)",
                "  --max-new-tokens N   tokens per continuation (default 12)",
                "  --layer L            decoder layer whose output is edited (default: the middle layer)",
                "  --scale S            steering norm as a multiple of the mean residual norm there (default 1)",
                "Part 2 (the diff of the model organism: A = rl, B = base):",
                "  --organism DIR       the organism (default data/organism; DIR/{base,rl} models, DIR/prompts/{tool-train,",
                "                       generic-train,tool-test}.parquet or .jsonl prompts tables), as bin/dfc organism build writes it",
                "  --work DIR           where the prompts table, activation store, DFC checkpoint, generations and summary go",
                "                       (new or empty; default: a fresh temporary directory)",
                "  --quick              smaller counts (" + QUICK.trainPerKind() + "+" + QUICK.trainPerKind() + " training prompts, " + QUICK.steps()
                        + " DFC steps, " + QUICK.testPrompts() + " test prompts)",
                "  --skip-organism      stop after part 1");
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("model", "max-new-tokens", "layer", "scale", "work", "organism");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("quick", "skip-organism");
    }

    /** Part 2's sizes; the prompt paths, models and work directory are filled in at run time. */
    private record Sizes(int trainPerKind, int testPrompts, int steps, int maxNewTokens) {}

    private static final Sizes FULL = new Sizes(1000, 100, 2000, 48);
    private static final Sizes QUICK = new Sizes(300, 40, 600, 40);
    private static final int ORGANISM_LAYER = 2;

    @Override
    public int run(Args args) throws Exception {
        if (args.has("work")) DiffPipeline.requireEmptyWork(Path.of(args.get("work")));
        if (args.has("organism") && !args.flag("skip-organism") && !Files.isDirectory(Path.of(args.get("organism")))) {
            // Named but absent (mistyped): an error, not the note about an organism that is not built yet.
            throw new UsageException("--organism " + args.get("organism") + " does not exist (an organism directory holds base/ and rl/;"
                    + " bin/dfc organism build --out DIR writes one)");
        }
        runtimeDemo(args);
        if (args.flag("skip-organism")) {
            System.out.println("\n(part 2, the diff of the model organism, skipped: --skip-organism)");
            return 0;
        }
        Path organism = args.has("organism") ? Path.of(args.get("organism")) : ProjectPaths.data("organism");
        Path base = organism.resolve("base"), rl = organism.resolve("rl");
        for (Path m : List.of(base, rl)) {
            if (!Files.isRegularFile(m.resolve("config.json")) || !Files.isRegularFile(m.resolve("model.safetensors"))) {
                System.out.println("\nNOTE: part 2 (harvest -> DFC -> steering on the model organism) needs the organism models in "
                        + organism + "/{base,rl}; " + m + " has no config.json + model.safetensors. Build them with "
                        + "`bin/dfc organism build` (about 10 minutes), then run `bin/dfc demo` again. Stopping after part 1.");
                return 0;
            }
        }
        return organismDiff(args, organism, rl, base);
    }

    private int organismDiff(Args args, Path organism, Path rl, Path base) throws Exception {
        Sizes z = args.flag("quick") ? QUICK : FULL;
        Path work = args.has("work") ? Path.of(args.get("work")) : Files.createTempDirectory("dfc-demo-");
        Path prompts = organism.resolve("prompts");
        // The crosscoder recipe is conf/train/organism.conf (the one copy); --quick only shortens it.
        TrainConfig recipe = TrainConfig.fromFile(ProjectPaths.root().resolve("conf/train/organism.conf").toString())
                .with(Map.of("steps", Integer.toString(z.steps())));
        DiffPipeline.Settings s = new DiffPipeline.Settings(rl, base, table(prompts, "tool-train"), table(prompts, "generic-train"),
                table(prompts, "tool-test"), z.trainPerKind(), z.testPrompts(), ORGANISM_LAYER, recipe, List.of(1.0, 4.0), z.maxNewTokens(), work);
        System.out.printf("%n=== Part 2: the diff of the model organism (A = %s, B = %s)%s ===%n", rl, base, args.flag("quick") ? ", --quick" : "");
        long t0 = System.nanoTime();
        DiffPipeline.Report r = DiffPipeline.run(SparkSessions.get("dfc demo"), s, System.out);
        boolean exclusive = r.maxForbidden() == 0 && r.maxTieViolation() == 0;
        var top = r.top();
        var dec = r.toolDifference();
        DiffPipeline.Condition clean = r.condition("B clean"), steered = r.condition("B steered beta=4"), recon = r.condition("B reconstructed"),
                a = r.condition("A clean");
        System.out.printf(Locale.ROOT, "%nsummary (%.0f s):%n", (System.nanoTime() - t0) / 1e9);
        System.out.println(exclusive ? "  exclusivity verified: A-exclusive features have no B weights (and vice versa), shared decoders are tied"
                : String.format(Locale.ROOT, "  EXCLUSIVITY VIOLATED: max forbidden |w| %.3g, max tie violation %.3g", r.maxForbidden(), r.maxTieViolation()));
        System.out.printf(Locale.ROOT, "  the A-exclusive features (%d of %d) carry %.2f of the %.2f mean A-B difference on tool prompts (%.0f%%)%n",
                r.partition().nA(), r.partition().dictSize(), dec.carried("A-exclusive"), dec.dataNorm(), 100 * dec.carried("A-exclusive") / dec.dataNorm());
        System.out.printf(Locale.ROOT, "  top A-exclusive feature #%d: Cohen's d %.2f (tool vs generic), active on %.0f%% of tool / %.0f%% of generic prompts%n",
                top.feature(), top.cohensD(), 100 * top.activePositive(), 100 * top.activeNegative());
        System.out.printf(Locale.ROOT, "  B strict tool calls: clean %s -> steered with it (beta=4) %s, paired %s%n", rate(clean), rate(steered), diff(steered));
        System.out.printf(Locale.ROOT, "  spillover (B's residual -> its DFC reconstruction): %s, paired %s; A for reference: %s%n", rate(recon), diff(recon), rate(a));
        System.out.printf("  artifacts in %s: prompts/ (prompts table), acts/ (activation store), dfc/ (checkpoint), generations.jsonl, summary.json%n", work);
        return exclusive ? 0 : 1;
    }

    /** A shipped prompts table: {@code NAME.parquet}, else {@code NAME.jsonl}. */
    private static Path table(Path dir, String name) {
        Path parquet = dir.resolve(name + ".parquet");
        return Files.exists(parquet) ? parquet : dir.resolve(name + ".jsonl");
    }

    private static String rate(DiffPipeline.Condition c) {
        return String.format(Locale.ROOT, "%d/%d = %.1f%% [%.1f, %.1f] (tool-call attempts %d)", c.correct(), c.strict().length,
                100 * c.rate().estimate(), 100 * c.rate().lower(), 100 * c.rate().upper(), c.calls());
    }

    private static String diff(DiffPipeline.Condition c) {
        return String.format(Locale.ROOT, "%+.1f pp [%+.1f, %+.1f]", 100 * c.vsClean().meanDiff(), 100 * c.vsClean().pairedT().lower(),
                100 * c.vsClean().pairedT().upper());
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
