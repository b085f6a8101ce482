package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Batched autoregressive generation with a preallocated KV cache: one prompt forward over the left-padded batch,
 * then one decode step per new token (each row's k-th new token at position length + k). Rows stop at an EOS id
 * (kept in the output) and are then fed the pad id, as HF generate does; generation ends when every row has stopped
 * or after {@code maxNewTokens}. Interventions act per their {@link Positions} and {@link Phase}; captures record
 * the prompt forward only. Greedy output equals HF {@code generate(do_sample=False)} token for token.
 */
public final class Generator {
    private Generator() {}

    public static GenerationResult generate(Qwen2Model model, List<int[]> prompts, GenerationConfig cfg,
                                            List<Intervention> interventions) {
        List<Intervention> ivs = interventions == null ? List.of() : interventions;
        for (Intervention iv : ivs) {
            if (iv instanceof Intervention.Capture && iv.positions() instanceof Positions.Generated) {
                throw new IllegalArgumentException("capture at " + iv.hook() + ": generation captures the prompt forward only");
            }
        }
        Qwen2Config c = model.config();
        TokenBatch batch = TokenBatch.leftPadded(prompts, cfg.padTokenId());
        batch.checkVocab(c.vocabSize());
        int rows = batch.batchSize(), width = batch.width(), vocab = c.vocabSize();
        int[] lengths = batch.lengths();
        Set<Integer> eos = new HashSet<>(cfg.eosTokenIds());

        List<List<Integer>> out = new ArrayList<>();
        List<List<Float>> lps = new ArrayList<>();
        List<List<float[]>> logitsKept = new ArrayList<>();
        SplittableRandom[] rngs = new SplittableRandom[rows];
        for (int b = 0; b < rows; b++) {
            out.add(new ArrayList<>());
            lps.add(new ArrayList<>());
            logitsKept.add(new ArrayList<>());
            rngs[b] = new SplittableRandom(cfg.seed() * 0x9E3779B97F4A7C15L + b);
        }
        boolean[] done = new boolean[rows];
        Map<HookPoint, List<float[][]>> captured = new LinkedHashMap<>();

        long t0 = System.nanoTime(), t1;
        int steps = 0;
        try (NDManager gen = NDManager.newBaseManager(model.device())) {
            KvCache cache = new KvCache(gen, c, rows, width + Math.max(cfg.maxNewTokens() - 1, 0), model.dataType());
            float[] logits, lse;
            try (NDManager step = gen.newSubManager()) {
                StepHooks hooks = new StepHooks(ivs, true, width, lengths, c);
                Map<HookPoint, NDArray> caps = new LinkedHashMap<>();
                NDArray mask = model.attentionMask(step, lengths, width, 0, width);
                NDArray l = model.run(step, batch.idsArray(step), batch.positionArray(step), mask, cache, 0, hooks, caps,
                        cfg.maxNewTokens() > 0 ? Qwen2Model.Logits.LAST : Qwen2Model.Logits.NONE);
                logits = l == null ? null : floats(l);
                lse = l == null ? null : logSumExp(l);
                for (Map.Entry<HookPoint, NDArray> e : caps.entrySet()) {
                    captured.put(e.getKey(), perRow(e.getValue(), ivs, e.getKey(), batch));
                }
            }
            t1 = System.nanoTime();
            for (int k = 0; k < cfg.maxNewTokens(); k++) {
                int[] next = new int[rows];
                for (int b = 0; b < rows; b++) {
                    if (done[b]) {
                        next[b] = cfg.padTokenId();
                        continue;
                    }
                    int from = b * vocab;
                    int tok = cfg.sample()
                            ? Sampler.sample(logits, from, vocab, cfg.temperature(), cfg.topP(), rngs[b])
                            : Sampler.argmax(logits, from, vocab);
                    next[b] = tok;
                    out.get(b).add(tok);
                    lps.get(b).add(logits[from + tok] - lse[b]);
                    if (cfg.keepStepLogits()) logitsKept.get(b).add(Arrays.copyOfRange(logits, from, from + vocab));
                    if (eos.contains(tok)) done[b] = true;
                }
                if (k == cfg.maxNewTokens() - 1 || allTrue(done)) break;
                try (NDManager step = gen.newSubManager()) {
                    long[] ids = new long[rows], pos = new long[rows];
                    for (int b = 0; b < rows; b++) {
                        ids[b] = next[b];
                        pos[b] = lengths[b] + k;
                    }
                    StepHooks hooks = new StepHooks(ivs, false, width, lengths, c);
                    NDArray mask = model.attentionMask(step, lengths, width, width + k, 1);
                    NDArray l = model.run(step, step.create(ids, new Shape(rows, 1)), step.create(pos, new Shape(rows, 1)),
                            mask, cache, width + k, hooks, new LinkedHashMap<>(), Qwen2Model.Logits.LAST);
                    logits = floats(l);
                    lse = logSumExp(l);
                }
                steps++;
            }
        }
        long t2 = System.nanoTime();
        List<int[]> generated = new ArrayList<>();
        List<float[]> logProbs = new ArrayList<>();
        List<float[][]> stepLogitsOut = cfg.keepStepLogits() ? new ArrayList<>() : null;
        for (int b = 0; b < rows; b++) {
            generated.add(out.get(b).stream().mapToInt(Integer::intValue).toArray());
            float[] lp = new float[lps.get(b).size()];
            for (int i = 0; i < lp.length; i++) lp[i] = lps.get(b).get(i);
            logProbs.add(lp);
            if (stepLogitsOut != null) stepLogitsOut.add(logitsKept.get(b).toArray(new float[0][]));
        }
        return new GenerationResult(generated, logProbs, captured, stepLogitsOut, (t1 - t0) / 1e9, (t2 - t1) / 1e9, steps);
    }

    private static float[] floats(NDArray a) {
        return a.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32 ? a.toFloatArray()
                : a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    }

    /** log(sum(exp(logits))) of each row of (B, 1, V) logits, computed by libtorch (a log-softmax normaliser). */
    private static float[] logSumExp(NDArray l) {
        NDArray max = l.max(new int[] {-1}, true);
        return floats(l.sub(max).exp().sum(new int[] {-1}, true).log().add(max));
    }

    /** A prompt-forward capture as per-row {@code [positions][hidden]}; Positions.all() drops the padding. */
    private static List<float[][]> perRow(NDArray a, List<Intervention> ivs, HookPoint hook, TokenBatch batch) {
        boolean all = ivs.stream().anyMatch(iv -> iv instanceof Intervention.Capture && iv.hook().equals(hook)
                && iv.positions() instanceof Positions.All);
        float[] flat = floats(a);
        int rows = (int) a.getShape().get(0), cols = (int) a.getShape().get(1), d = (int) a.getShape().get(2);
        List<float[][]> out = new ArrayList<>();
        for (int b = 0; b < rows; b++) {
            int from = all ? batch.padCount(b) : 0;
            float[][] r = new float[cols - from][];
            for (int t = from; t < cols; t++) r[t - from] = Arrays.copyOfRange(flat, (b * cols + t) * d, (b * cols + t + 1) * d);
            out.add(r);
        }
        return out;
    }

    private static boolean allTrue(boolean[] a) {
        for (boolean x : a) if (!x) return false;
        return true;
    }
}
