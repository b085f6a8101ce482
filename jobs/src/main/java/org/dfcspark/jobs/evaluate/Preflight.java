package org.dfcspark.jobs.evaluate;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.harvest.ModelPair;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Qwen2Config;

/**
 * The driver's checks before any work: the two models are a pair (same architecture, hidden size and tokenizer),
 * every hook is a residual hook inside the models, every crosscoder reads the models' hidden size and, when its
 * training recorded a hook, that hook exists in the models. Reads config files only (no weights), so checking a
 * 48-crosscoder sweep is instant. Resolves the crosscoder list into {@link EvaluationTarget}s.
 */
public final class Preflight {
    private Preflight() {}

    /** The models' hidden size after checking them. */
    public static int checkModels(EvaluateOptions o) throws IOException {
        Path a = Path.of(o.modelA()), b = Path.of(o.modelB());
        for (Path m : List.of(a, b)) {
            if (!Files.isRegularFile(m.resolve("config.json"))) throw new IllegalArgumentException(m + ": not a model directory (no config.json)");
        }
        ModelPair.check(a, b);
        return Qwen2Config.load(a).hiddenSize();
    }

    /** Every (crosscoder, hook) to evaluate, checked against the models. */
    public static List<EvaluationTarget> targets(EvaluateOptions o) throws IOException {
        Qwen2Config model = Qwen2Config.load(Path.of(o.modelA()));
        for (String h : o.hooks()) checkHook(h, model, "hooks");
        List<EvaluationTarget> out = new ArrayList<>();
        Map<String, Path> names = new HashMap<>();
        for (String entry : o.crosscoders()) {
            for (Path dir : checkpoints(Path.of(entry))) {
                String name = crosscoderName(dir);
                CrosscoderConfig cfg = CrosscoderConfig.fromJson(Files.readString(dir.resolve(Checkpoint.CONFIG), StandardCharsets.UTF_8),
                        dir.resolve(Checkpoint.CONFIG).toString());
                if (cfg.activationDim() != model.hiddenSize()) {
                    throw new IllegalArgumentException("crosscoder " + dir + " reads d = " + cfg.activationDim() + " but the models' hidden size is " + model.hiddenSize());
                }
                Object recorded = cfg.provenance() == null ? null : cfg.provenance().get("hook");
                // a layer sweep's variants/NAME/HOOK/ share NAME across hooks: a name is unique per hook
                Path seen = names.put(name + "@" + recorded, dir);
                if (seen != null && !seen.equals(dir)) throw new IllegalArgumentException("two crosscoders are named " + name + ": " + seen + " and " + dir);
                if (recorded != null) {
                    checkHook(recorded.toString(), model, "crosscoder " + dir + " was trained at");
                    out.add(new EvaluationTarget(name, dir.toString(), recorded.toString()));
                } else {
                    if (o.hooks().isEmpty()) throw new IllegalArgumentException("crosscoder " + dir + " records no hook and hooks is empty");
                    for (String h : o.hooks()) out.add(new EvaluationTarget(name, dir.toString(), h));
                }
            }
        }
        return out;
    }

    /**
     * The evaluation and ranking prompts' ids, rendered as the protocol says and tokenized once for the whole job
     * (the ranking stage and the work items take these ids). Each must fit the models' context, the evaluation
     * prompts with room for {@code max_new_tokens}: beyond {@code max_position_embeddings} a model runs (RoPE is
     * computed for any position, as HF does) but outside anything it was trained on. With {@code beyond_context =
     * run} such prompts are evaluated anyway and {@code log} says how many (the paper protocol on a small model is
     * the case: the contrast with the fixed protocol is the finding); otherwise the first is refused.
     */
    public static EncodedPrompts encode(EvaluateOptions o, List<PromptRecord> prompts, List<PromptRecord> tool, List<PromptRecord> generic,
                                        PrintStream log) throws IOException {
        int context = Qwen2Config.load(Path.of(o.modelA())).maxPositionEmbeddings();
        try (PromptEncoder enc = new PromptEncoder(Path.of(o.modelB()), o.protocol())) {
            EncodedPrompts e = new EncodedPrompts(fitting(o, enc, context, prompts, o.maxNewTokens(), "evaluation"),
                    fitting(o, enc, context, tool, 0, "ranking"), fitting(o, enc, context, generic, 0, "ranking"), enc.padTokenId());
            if (o.beyondContext()) {
                long eval = beyond(e.evaluation(), o.maxNewTokens(), context), rank = beyond(e.tool(), 0, context) + beyond(e.generic(), 0, context);
                if (eval + rank > 0) {
                    log.printf(Locale.ROOT, "evaluate: beyond_context = run: %d of %d evaluation prompts (+ %d new tokens) and %d of %d ranking prompts "
                                    + "are longer than the models' context of %d positions; run anyway (longest: %d tokens)%n",
                            eval, e.evaluation().size(), o.maxNewTokens(), rank, e.tool().size() + e.generic().size(), context, longest(e));
                }
            }
            return e;
        }
    }

    private static long beyond(List<int[]> ids, int extra, int context) {
        return ids.stream().filter(p -> p.length + extra > context).count();
    }

    private static int longest(EncodedPrompts e) {
        int n = 0;
        for (List<int[]> l : List.of(e.evaluation(), e.tool(), e.generic())) for (int[] p : l) n = Math.max(n, p.length);
        return n;
    }

    private static List<int[]> fitting(EvaluateOptions o, PromptEncoder enc, int context, List<PromptRecord> records, int extra, String what) {
        List<int[]> out = new ArrayList<>(records.size());
        for (PromptRecord r : records) {
            int[] ids = enc.encode(r);
            if (ids.length + extra > context && !o.beyondContext()) {
                throw new IllegalArgumentException(what + " prompt " + r.id() + " is " + ids.length + " tokens in the " + o.protocol().id()
                        + " protocol's rendering" + (extra > 0 ? " + " + extra + " new tokens" : "") + ", beyond the models' context of " + context
                        + " (set beyond_context = run to evaluate it anyway)");
            }
            out.add(ids);
        }
        return out;
    }

    /** A checkpoint directory, or the checkpoint directories inside one (a sweep's variants/), sorted by name. */
    /** A checkpoint directory's name; for a layer sweep's {@code variants/NAME/HOOK/}, NAME. */
    static String crosscoderName(Path dir) {
        String name = dir.getFileName().toString();
        if (name.startsWith("blocks.") && dir.getParent() != null) {
            try {
                HookPoint.parse(name);
                return dir.getParent().getFileName().toString();
            } catch (IllegalArgumentException notAHook) {
                return name;
            }
        }
        return name;
    }

    static List<Path> checkpoints(Path p) throws IOException {
        if (isCheckpoint(p)) return List.of(p);
        if (!Files.isDirectory(p)) throw new IllegalArgumentException("crosscoder not found: " + p);
        List<Path> out;
        try (Stream<Path> s = Files.list(p)) {
            out = s.filter(Preflight::isCheckpoint).sorted().toList();
        }
        if (out.isEmpty()) throw new IllegalArgumentException(p + ": neither a crosscoder checkpoint nor a directory of them");
        return out;
    }

    private static boolean isCheckpoint(Path p) {
        return Files.isRegularFile(p.resolve(Checkpoint.CONFIG)) && Files.isRegularFile(p.resolve(Checkpoint.WEIGHTS));
    }

    private static void checkHook(String name, Qwen2Config model, String what) {
        HookPoint h = HookPoint.parse(name);
        if (h.site() != HookPoint.Site.RESID_POST) throw new IllegalArgumentException(what + " " + name + ": only blocks.L.hook_resid_post hooks are evaluated");
        if (h.layer() < 0 || h.layer() >= model.numHiddenLayers()) {
            throw new IllegalArgumentException(what + " " + name + ": the models have layers 0.." + (model.numHiddenLayers() - 1));
        }
    }
}
