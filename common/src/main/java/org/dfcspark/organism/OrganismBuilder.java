package org.dfcspark.organism;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.dfcspark.toolcall.stats.Interval;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builds the model organism from a seed: the tokenizer and prompts tables, model B by SFT from a
 * random init, model A by on-policy RL from B (keeping the intermediate checkpoint {@code rl-mid}),
 * then measures all three on held-out prompts (TEST: requests never seen in training, where the
 * targets apply; NOVEL: unseen phrasings and values, reported for generalisation) and writes
 * {@code build.json}.
 *
 * <p>{@code quick} (CI) trains B for a few steps from scratch and runs a few RL iterations from an
 * already built B ({@code rlStart}), checking only that the SFT loss falls and the RL reward rises.
 *
 * <p>{@code baseFrom} (a full build only) copies B from an earlier build instead of training it: SFT is
 * deterministic, so this reproduces the rest of a build in a fifth of the time when iterating on RL. The shipped
 * organism comes from a plain build.
 */
public final class OrganismBuilder {

    /** rl-mid's greedy strict rate on the test requests must lie in this band (chosen on validation, RlMidSearch). */
    static final double MID_TEST_LOW = 0.30, MID_TEST_HIGH = 0.50;
    /** Greedy validation prompts per RL evaluation: the whole tool-valid table (100 left rl-mid's rate +-10 pp noisy). */
    static final int VALID_PROMPTS = 200;

    public record Options(Path out, long seed, boolean quick, Path rlStart, Path baseFrom, SftTrainer.Config sft,
                          RlTrainer.Config rl, int testPrompts, int genericPrompts) {
        public static Options full(Path out, long seed) {
            return new Options(out, seed, false, null, null, SftTrainer.Config.recipe(), RlTrainer.Config.recipe(), 500, 500);
        }

        public static Options quick(Path out, long seed, Path rlStart) {
            return new Options(out, seed, true, rlStart, null, SftTrainer.Config.recipe().withSteps(40).withBatchSize(16),
                    RlTrainer.Config.recipe().withIterations(8).withPrompts(8, 8), 0, 0);
        }

        /** A full build whose B is copied from {@code baseFrom} (a model directory of an earlier build of this seed). */
        public Options withBaseFrom(Path baseFrom) {
            return new Options(out, seed, quick, rlStart, baseFrom, sft, rl, testPrompts, genericPrompts);
        }
    }

    /** The outcome: the report written to build.json, and whether every check passed. */
    public record Result(Map<String, Object> report, List<String> failures) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    private final Options opt;
    private final OrganismPrompts.TableWriter tables;
    private final Consumer<String> log;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final Map<String, Object> timings = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    /** @param tables writes the prompts tables (Parquet, from the jobs module); unused by a quick build */
    public OrganismBuilder(Options opt, OrganismPrompts.TableWriter tables, Consumer<String> log) {
        this.opt = opt;
        this.tables = tables;
        this.log = log;
    }

    public Result build() throws Exception {
        Phase total = new Phase();
        Files.createDirectories(opt.out());
        report.put("seed", opt.seed());
        report.put("quick", opt.quick());
        report.put("config", OrganismModel.config().toString());
        report.put("vocab_size", OrganismTokenizer.get().vocabSize());
        report.put("sft_config", opt.sft());
        report.put("rl_config", opt.rl());
        report.put("timings", timings);

        Path tokDir = opt.out().resolve(opt.quick() ? "quick-tokenizer" : OrganismModel.BASE);
        OrganismTokenizer.get().writeTo(tokDir);
        if (!opt.quick()) OrganismPrompts.writeAll(opt.out().resolve("prompts"), opt.seed(), tables);
        try (Tokenizer tokenizer = Tokenizer.load(tokDir)) {
            OrganismChat chat = new OrganismChat(ChatTemplate.load(tokDir), tokenizer);
            if (opt.baseFrom() != null && !opt.quick()) copyBase();
            else trainBase(chat);
            trainRl(chat);
            if (!opt.quick()) evaluate(chat);
        }
        timings.put("total", total.stop());
        report.put("failures", failures);
        writeReport();
        return new Result(report, failures);
    }

    // ------------------------------------------------------------------------------------------ SFT

    private void trainBase(OrganismChat chat) throws IOException {
        Phase p = new Phase();
        log.accept("organism: SFT of B (" + opt.sft().steps() + " steps x " + opt.sft().batchSize() + ")");
        try (Qwen2Model b = OrganismModel.random(opt.seed())) {
            SftTrainer sft = new SftTrainer(opt.sft(), chat, opt.seed());
            List<Double> losses = sft.train(b, log);
            report.put("sft_loss", losses);
            report.put("sft_skipped_steps", sft.skippedSteps());
            double first = mean(losses.subList(0, Math.min(10, losses.size())));
            double last = mean(losses.subList(Math.max(0, losses.size() - 10), losses.size()));
            report.put("sft_loss_first10", first);
            report.put("sft_loss_last10", last);
            if (!(last < 0.8 * first)) failures.add(String.format("SFT loss did not fall: %.3f -> %.3f", first, last));
            if (!opt.quick()) OrganismModel.save(b, opt.out().resolve(OrganismModel.BASE));
        }
        timings.put("sft", p.stop());
    }

    private void copyBase() throws IOException {
        log.accept("organism: B copied from " + opt.baseFrom() + " (no SFT)");
        report.put("base_from", opt.baseFrom().toString());
        Path dir = opt.out().resolve(OrganismModel.BASE); // already holds the tokenizer files
        for (String f : List.of("model.safetensors", "config.json", "generation_config.json")) {
            Files.copy(opt.baseFrom().resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ------------------------------------------------------------------------------------------ RL

    private void trainRl(OrganismChat chat) throws Exception {
        Phase p = new Phase();
        Path start = opt.quick() ? opt.rlStart() : opt.out().resolve(OrganismModel.BASE);
        log.accept("organism: RL of A from " + start + " (" + opt.rl().iterations() + " iterations x "
                + opt.rl().prompts() + " prompts x " + opt.rl().group() + " samples)");
        OrganismEval eval = new OrganismEval(chat);
        List<Example> valid = new WorldSampler(opt.seed(), Split.VALID).take(Example.Kind.TOOL, VALID_PROMPTS);
        java.util.function.ToDoubleFunction<Qwen2Model> validRate =
                m -> OrganismEval.Rates.of(eval.answer(m, valid, eval.greedy(OrganismEval.MAX_NEW_TOKENS))).strictRate();
        List<Map<String, Object>> curve = new ArrayList<>();
        try (Qwen2Model a = Qwen2Model.load(start, Device.cpu()); Qwen2Model probe = Qwen2Model.load(start, Device.cpu())) {
            RlMidSearch mid = new RlMidSearch(probe, validRate, opt.out().resolve(OrganismModel.RL_MID), log);
            if (!opt.quick()) {
                double v0 = validRate.applyAsDouble(a);
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("iteration", 0);
                point.put("valid_greedy_strict", v0);
                curve.add(point);
                mid.offer(0, v0, a);
            }
            RlTrainer.Listener listener = (it, model) -> {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("iteration", it.index() + 1);
                point.put("reward", it.meanReward());
                point.put("sampled_strict", it.strictRate());
                point.put("sampled_calls", it.callRate());
                point.put("trained_samples", it.trainedSamples());
                // Evaluate every iteration until the model is past the middle band, then every 10th.
                boolean pastMid = lastValid(curve) > RlMidSearch.HIGH;
                if (!opt.quick() && (!pastMid || (it.index() + 1) % 10 == 0 || it.index() + 1 == opt.rl().iterations())) {
                    double v = validRate.applyAsDouble(model);
                    point.put("valid_greedy_strict", v);
                    log.accept(String.format("organism: iteration %d greedy valid strict %.2f", it.index() + 1, v));
                    mid.offer(it.index() + 1, v, model);
                }
                curve.add(point);
            };
            List<RlTrainer.Iteration> its = new RlTrainer(opt.rl(), chat, opt.seed()).train(a, log, listener);
            report.put("rl_curve", curve);
            report.put("rl_mid_step_search", mid.stepPoints().stream().map(RlMidSearch.Point::toMap).toList());
            int k = Math.min(3, its.size());
            double first = its.subList(0, k).stream().mapToDouble(RlTrainer.Iteration::meanReward).average().orElse(0);
            double last = its.subList(its.size() - k, its.size()).stream().mapToDouble(RlTrainer.Iteration::meanReward).average().orElse(0);
            report.put("rl_reward_first3", first);
            report.put("rl_reward_last3", last);
            if (!(last > first)) failures.add(String.format("RL reward did not rise: %.3f -> %.3f", first, last));
            if (!opt.quick()) {
                OrganismModel.save(a, opt.out().resolve(OrganismModel.RL));
                RlMidSearch.Point best = mid.best();
                if (best == null) {
                    failures.add("no RL checkpoint had a greedy valid strict rate in [" + RlMidSearch.LOW + ", " + RlMidSearch.HIGH + "]: rl-mid not written");
                } else {
                    report.put("rl_mid_iteration", best.iteration());
                    report.put("rl_mid_next_step_fraction", best.fraction());
                    report.put("rl_mid_valid_strict", best.validStrict());
                }
            }
        }
        timings.put("rl", p.stop());
    }

    private static double lastValid(List<Map<String, Object>> curve) {
        for (int i = curve.size() - 1; i >= 0; i--) {
            Object v = curve.get(i).get("valid_greedy_strict");
            if (v != null) return (Double) v;
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------ evaluation

    private void evaluate(OrganismChat chat) throws IOException {
        Phase p = new Phase();
        OrganismEval eval = new OrganismEval(chat);
        List<Example> test = new WorldSampler(opt.seed(), Split.TEST).take(Example.Kind.TOOL, opt.testPrompts());
        List<Example> novel = new WorldSampler(opt.seed(), Split.NOVEL).take(Example.Kind.TOOL, opt.testPrompts());
        List<Example> generic = new WorldSampler(opt.seed(), Split.TEST).take(Example.Kind.GENERIC, opt.genericPrompts());
        GenerationConfig greedy = eval.greedy(OrganismEval.MAX_NEW_TOKENS);
        Map<String, Object> models = new LinkedHashMap<>();
        Map<String, OrganismEval.ProseLoss> prose = new LinkedHashMap<>();
        for (String name : List.of(OrganismModel.BASE, OrganismModel.RL_MID, OrganismModel.RL)) {
            Path dir = opt.out().resolve(name);
            if (!Files.isRegularFile(dir.resolve("model.safetensors"))) continue;
            log.accept("organism: evaluating " + name);
            try (Qwen2Model m = Qwen2Model.load(dir, Device.cpu())) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("tool_test_greedy", rates(OrganismEval.Rates.of(eval.answer(m, test, greedy))));
                r.put("tool_test_sampled_t1", rates(OrganismEval.Rates.of(eval.answer(m, test, greedy.withSampling(1.0, 1.0, opt.seed())))));
                List<OrganismEval.Answer> novelAnswers = eval.answer(m, novel, greedy);
                r.put("tool_novel_greedy", rates(OrganismEval.Rates.of(novelAnswers)));
                r.put("tool_novel_greedy_by_novelty", byNovelty(novel, novelAnswers));
                r.put("generic_test_greedy_calls", rates(OrganismEval.Rates.of(eval.answer(m, generic, greedy))));
                OrganismEval.ProseLoss pl = eval.proseLoss(m, generic);
                prose.put(name, pl);
                r.put("generic_test_loss_all_tokens", pl.allTokens());
                r.put("generic_test_loss_answer_tokens", pl.answerTokens());
                models.put(name, r);
            }
        }
        report.put("evaluation", models);
        check(models, OrganismModel.BASE, r -> r <= 0.15, "B strict <= 15%");
        check(models, OrganismModel.RL, r -> r >= 0.80, "A strict >= 80%");
        check(models, OrganismModel.RL_MID, r -> r >= MID_TEST_LOW && r <= MID_TEST_HIGH, "rl-mid strict in [30%, 50%]");
        if (prose.containsKey(OrganismModel.BASE) && prose.containsKey(OrganismModel.RL)) {
            double rel = prose.get(OrganismModel.RL).allTokens() / prose.get(OrganismModel.BASE).allTokens() - 1;
            report.put("prose_loss_change_rl_vs_base", rel);
            if (rel > 0.10) failures.add(String.format("A's prose loss is %.1f%% above B's (limit 10%%)", 100 * rel));
        }
        timings.put("evaluation", p.stop());
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> models, String name, java.util.function.DoublePredicate ok, String what) {
        Map<String, Object> r = (Map<String, Object>) models.get(name);
        if (r == null) {
            failures.add(what + ": model " + name + " missing");
            return;
        }
        double rate = (Double) ((Map<String, Object>) r.get("tool_test_greedy")).get("strict");
        if (!ok.test(rate)) failures.add(String.format("%s failed: %s strict %.3f", what, name, rate));
    }

    private static Map<String, Object> rates(OrganismEval.Rates r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", r.n());
        m.put("strict", r.strictRate());
        m.put("strict_ci95", ci(r.strictCi()));
        m.put("calls", (double) r.calls() / r.n());
        m.put("calls_ci95", ci(r.callCi()));
        m.put("paper_format", (double) r.paperFormat() / r.n());
        m.put("paper_format_ci95", ci(r.paperFormatCi()));
        return m;
    }

    private static Map<String, Object> byNovelty(List<Example> test, List<OrganismEval.Answer> answers) {
        Map<String, List<OrganismEval.Answer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < test.size(); i++) {
            Example e = test.get(i);
            String key = e.novelPhrasing() && e.novelValues() ? "phrasing+values" : e.novelPhrasing() ? "phrasing" : "values";
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(answers.get(i));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        groups.forEach((k, v) -> m.put(k, rates(OrganismEval.Rates.of(v))));
        return m;
    }

    private static List<Double> ci(Interval i) {
        return List.of(i.lower(), i.upper());
    }

    private void writeReport() throws IOException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        OrganismTokenizer.writeAtomically(opt.out().resolve(opt.quick() ? "quick-build.json" : "build.json"), om.writeValueAsString(report));
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Wall and process CPU seconds of a phase (the CPU time shows how contended the machine was). */
    private static final class Phase {
        private final long wall0 = System.nanoTime();
        private final long cpu0 = cpuNanos();

        Map<String, Double> stop() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("wall_s", (System.nanoTime() - wall0) / 1e9);
            m.put("cpu_s", (cpuNanos() - cpu0) / 1e9);
            return m;
        }

        private static long cpuNanos() {
            return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? os.getProcessCpuTime() : 0L;
        }
    }
}
