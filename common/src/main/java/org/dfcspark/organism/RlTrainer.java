package org.dfcspark.organism;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.Qwen2Model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * On-policy RL of model A from B, GRPO-style: each iteration draws fresh training tool requests,
 * samples a group of answers per request from the current model, rewards each with the strict
 * scorer (1 correct, {@code partialReward} for a readable but wrong call, 0 otherwise), and takes one
 * gradient step on {@code -sum(A * log pi(token)) / answer tokens} with group-relative advantages
 * {@code A = (r - mean) / (std + 1e-4)}. Groups whose rewards are all equal carry no signal and are
 * dropped. One step per batch of fresh samples, so no importance ratio or clipping is needed; no KL
 * term (the measured recipe did not need one: prose loss moved by under 1%).
 */
public final class RlTrainer {

    /** Hyperparameters (defaults: the measured recipe). */
    public record Config(int iterations, int prompts, int group, double temperature, int maxNewTokens,
                         double lr, double beta1, double beta2, double clipNorm, double partialReward) {
        public static Config recipe() {
            return new Config(60, 16, 8, 1.0, 32, 2e-4, 0.9, 0.98, 1.0, 0.1);
        }

        public Config withIterations(int n) {
            return new Config(n, prompts, group, temperature, maxNewTokens, lr, beta1, beta2, clipNorm, partialReward);
        }

        public Config withPrompts(int p, int g) {
            return new Config(iterations, p, g, temperature, maxNewTokens, lr, beta1, beta2, clipNorm, partialReward);
        }
    }

    /** What one iteration did: mean reward and rates of its samples, and how many samples were trained on. */
    public record Iteration(int index, double meanReward, double strictRate, double callRate, int trainedSamples) {}

    /** Called after each iteration with the model as it is now (e.g. to evaluate and keep checkpoints). */
    public interface Listener {
        void afterIteration(Iteration it, Qwen2Model model) throws Exception;
    }

    private final Config cfg;
    private final OrganismChat chat;
    private final OrganismEval eval;
    private final WorldSampler world;
    private final long seed;
    private final int padId;

    public RlTrainer(Config cfg, OrganismChat chat, long seed) {
        this.cfg = cfg;
        this.chat = chat;
        this.eval = new OrganismEval(chat);
        // A stream of its own, disjoint from SFT's: the split's sampler under a different seed.
        this.world = new WorldSampler(seed ^ 0x52_4CL, Split.TRAIN);
        this.seed = seed;
        this.padId = OrganismTokenizer.get().id(OrganismTokenizer.PAD);
    }

    public List<Iteration> train(Qwen2Model model, Consumer<String> log, Listener listener) throws Exception {
        List<Iteration> history = new ArrayList<>();
        GenerationConfig sampling = eval.greedy(cfg.maxNewTokens()).withSampling(cfg.temperature(), 1.0, 0);
        try (AdamW adam = new AdamW(model.parameters(), cfg.beta1(), cfg.beta2(), 1e-8)) {
            for (int it = 0; it < cfg.iterations(); it++) {
                List<Example> requests = world.take(Example.Kind.TOOL, cfg.prompts());
                List<int[]> prompts = new ArrayList<>();
                List<Example> rowExample = new ArrayList<>();
                for (Example e : requests) {
                    int[] p = chat.promptIds(e);
                    for (int g = 0; g < cfg.group(); g++) {
                        prompts.add(p);
                        rowExample.add(e);
                    }
                }
                GenerationResult gen = Generator.generate(model, prompts,
                        sampling.withSampling(cfg.temperature(), 1.0, seed * 1_000_003L + it), List.of());

                double[] reward = new double[prompts.size()];
                int strict = 0, calls = 0;
                for (int r = 0; r < prompts.size(); r++) {
                    OrganismEval.Answer a = eval.score(rowExample.get(r), gen.generated(r));
                    reward[r] = a.strict() ? 1.0 : a.parsedCall() ? cfg.partialReward() : 0.0;
                    if (a.strict()) strict++;
                    if (a.isCall()) calls++;
                }

                List<int[]> seqs = new ArrayList<>();
                List<Double> adv = new ArrayList<>();
                List<int[]> lens = new ArrayList<>();
                long answerTokens = 0;
                for (int q = 0; q < requests.size(); q++) {
                    int from = q * cfg.group();
                    double mean = 0, var = 0;
                    for (int g = 0; g < cfg.group(); g++) mean += reward[from + g];
                    mean /= cfg.group();
                    for (int g = 0; g < cfg.group(); g++) var += Math.pow(reward[from + g] - mean, 2);
                    double std = Math.sqrt(var / cfg.group());
                    if (std == 0) continue; // equal rewards: no signal
                    for (int g = 0; g < cfg.group(); g++) {
                        int[] p = prompts.get(from + g), out = gen.generated(from + g);
                        if (out.length == 0) continue;
                        int[] s = new int[p.length + out.length];
                        System.arraycopy(p, 0, s, 0, p.length);
                        System.arraycopy(out, 0, s, p.length, out.length);
                        seqs.add(s);
                        lens.add(new int[] {p.length, out.length});
                        adv.add((reward[from + g] - mean) / (std + 1e-4));
                        answerTokens += out.length;
                    }
                }
                if (!seqs.isEmpty()) {
                    List<float[]> weights = new ArrayList<>();
                    for (int i = 0; i < seqs.size(); i++) {
                        float[] w = new float[seqs.get(i).length];
                        float a = (float) (adv.get(i) / answerTokens);
                        for (int j = lens.get(i)[0]; j < w.length; j++) w[j] = a;
                        weights.add(w);
                    }
                    try (NDManager scope = model.parameters().values().iterator().next().getManager().newSubManager()) {
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            // rowNll = sum_j w_j * (-log p_j) with w_j = A/N: the policy-gradient loss -sum A log p / N
                            NDArray loss = SequenceLoss.rowNll(scope, model, seqs, weights, padId).sum();
                            gc.backward(loss);
                        }
                        double norm = adam.step(cfg.lr(), 0.0, cfg.clipNorm());
                        if (!Double.isFinite(norm) && log != null) log.accept("rl iteration " + (it + 1) + ": non-finite gradient, update skipped");
                    }
                }
                double meanReward = 0;
                for (double r : reward) meanReward += r;
                Iteration rec = new Iteration(it, meanReward / reward.length, (double) strict / reward.length,
                        (double) calls / reward.length, seqs.size());
                history.add(rec);
                if (log != null) {
                    log.accept(String.format("rl iteration %d/%d reward %.3f sampled strict %.3f calls %.3f trained on %d",
                            it + 1, cfg.iterations(), rec.meanReward(), rec.strictRate(), rec.callRate(), rec.trainedSamples()));
                }
                if (listener != null) listener.afterIteration(rec, model);
            }
        }
        return history;
    }
}
