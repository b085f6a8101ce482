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
import org.dfcspark.simd.VecOps;

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
        int rows = batch.batchSize(), width = batch.width();
        int[] lengths = batch.lengths();
        Map<HookPoint, List<float[][]>> captured = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (NDManager gen = NDManager.newBaseManager(model.device())) {
            KvCache cache = new KvCache(gen, c, rows, width + Math.max(cfg.maxNewTokens() - 1, 0), model.dataType());
            Decoding decoding = new Decoding(model, cfg, ivs, rows, width, lengths);
            try (NDManager step = gen.newSubManager()) {
                int[] columnZero = new int[rows];
                for (int b = 0; b < rows; b++) columnZero[b] = -batch.padCount(b);
                StepHooks hooks = new StepHooks(ivs, true, width, lengths, c).at(batch.ids(), columnZero);
                Map<HookPoint, NDArray> caps = new LinkedHashMap<>();
                NDArray mask = model.attentionMask(step, lengths, width, 0, width);
                NDArray l = model.run(step, batch.idsArray(step), batch.positionArray(step), mask, cache, 0, hooks, caps,
                        cfg.maxNewTokens() > 0 ? Qwen2Model.Logits.LAST : Qwen2Model.Logits.NONE);
                decoding.firstLogits(l, (long) rows * width);
                for (Map.Entry<HookPoint, NDArray> e : caps.entrySet()) {
                    captured.put(e.getKey(), perRow(e.getValue(), ivs, e.getKey(), batch));
                }
            }
            return decoding.run(gen, cache, captured, t0);
        }
    }

    /**
     * {@code copies} continuations of one prompt that differ only from its last token on: the first T−1 tokens are
     * forwarded once (one row), their keys and values copied into every row, and the last prompt token is then
     * forwarded for all rows with {@code interventions}, which must act at the last prompt token or on generated
     * tokens only ({@code Positions.lastPrompt()}, {@code indices(-1)}, {@code generated()}; no captures). Equal, up to
     * float rounding, to {@link #generate} on {@code copies} copies of the prompt, at a fraction of the prompt
     * forwards.
     */
    public static GenerationResult generateFromSharedPrefix(Qwen2Model model, int[] prompt, int copies, GenerationConfig cfg,
                                                            List<Intervention> interventions) {
        return generateFromSharedPrefix(model, prompt, copies, cfg, interventions, null);
    }

    /**
     * {@link #generateFromSharedPrefix(Qwen2Model, int[], int, GenerationConfig, List)} taking the prefix's keys and
     * values from {@code prefixes} when an earlier generation of this model kept them there, and keeping them there
     * otherwise; a prefix taken from the cache is not forwarded (nor counted in {@code tokensForwarded}).
     */
    public static GenerationResult generateFromSharedPrefix(Qwen2Model model, int[] prompt, int copies, GenerationConfig cfg,
                                                            List<Intervention> interventions, PrefixCache prefixes) {
        List<Intervention> ivs = interventions == null ? List.of() : interventions;
        if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        for (Intervention iv : ivs) {
            Positions p = iv.positions();
            boolean lastOnly = p instanceof Positions.LastPrompt || p instanceof Positions.Generated
                    || p instanceof Positions.Indices i && i.values().length == 1 && i.values()[0] == -1;
            if (iv instanceof Intervention.Capture || !lastOnly) {
                throw new IllegalArgumentException(iv + " cannot run on a shared prefix: only edits at the last prompt token"
                        + " or at generated tokens can (use generate)");
            }
        }
        Qwen2Config c = model.config();
        int t = prompt.length;
        TokenBatch.leftPadded(List.of(prompt), cfg.padTokenId()).checkVocab(c.vocabSize());
        int[] lengths = new int[copies], ones = new int[copies], lastColumn = new int[copies];
        int[][] lastIds = new int[copies][];
        for (int b = 0; b < copies; b++) {
            lengths[b] = t;
            ones[b] = 1;
            lastColumn[b] = t - 1;
            lastIds[b] = new int[] {prompt[t - 1]};
        }
        long t0 = System.nanoTime();
        try (NDManager gen = NDManager.newBaseManager(model.device())) {
            KvCache cache = new KvCache(gen, c, copies, t + Math.max(cfg.maxNewTokens() - 1, 0), model.dataType());
            Decoding decoding = new Decoding(model, cfg, ivs, copies, t, lengths);
            long forwarded = 0;
            int[] prefix = Arrays.copyOf(prompt, t - 1);
            if (t > 1 && (prefixes == null || !prefixes.copyInto(model, prefix, cache))) {
                // the prefix cache's arrays live in a manager of their own when a PrefixCache keeps them
                NDManager owner = prefixes == null ? gen.newSubManager() : NDManager.newBaseManager(model.device());
                try {
                    KvCache prefixCache = new KvCache(owner, c, 1, t - 1, model.dataType());
                    try (NDManager step = owner.newSubManager()) {
                        TokenBatch one = TokenBatch.leftPadded(List.of(prefix), cfg.padTokenId());
                        // LAST, not NONE: with no hooks a NONE forward stops before the first layer and fills no cache.
                        model.run(step, one.idsArray(step), one.positionArray(step), model.attentionMask(step, new int[] {t - 1}, t - 1, 0, t - 1),
                                prefixCache, 0, new StepHooks(List.of(), true, t - 1, new int[] {t - 1}, c), new LinkedHashMap<>(), Qwen2Model.Logits.LAST);
                        cache.copyPrefixToEveryRow(prefixCache, t - 1);
                    }
                    forwarded += t - 1;
                    if (prefixes != null) {
                        prefixes.keep(model, prefix, prefixCache, owner);
                        owner = null;
                    }
                } finally {
                    if (owner != null) owner.close();
                }
            }
            try (NDManager step = gen.newSubManager()) {
                // The last prompt token as a one-column prompt step: Positions.lastPrompt() selects it.
                StepHooks hooks = new StepHooks(ivs, true, 1, ones, c).at(lastIds, lastColumn);
                long[] ids = new long[copies], pos = new long[copies];
                Arrays.fill(ids, prompt[t - 1]);
                Arrays.fill(pos, t - 1);
                NDArray l = model.run(step, step.create(ids, new Shape(copies, 1)), step.create(pos, new Shape(copies, 1)),
                        model.attentionMask(step, lengths, t, t - 1, 1), cache, t - 1, hooks, new LinkedHashMap<>(),
                        cfg.maxNewTokens() > 0 ? Qwen2Model.Logits.LAST : Qwen2Model.Logits.NONE);
                decoding.firstLogits(l, forwarded + copies);
            }
            return decoding.run(gen, cache, new LinkedHashMap<>(), t0);
        }
    }

    /**
     * The token-by-token part shared by both entry points: choose each row's next token from the last logits, feed
     * it at position {@code length + k} into the cache after the {@code width} prompt columns, until every row has
     * stopped or {@code maxNewTokens} are out.
     */
    private static final class Decoding {
        private final Qwen2Model model;
        private final GenerationConfig cfg;
        private final List<Intervention> ivs;
        private final int rows;
        private final int width;
        private final int[] lengths;
        private final int vocab;
        private final Set<Integer> eos;
        private final List<List<Integer>> out = new ArrayList<>();
        private final List<List<Float>> lps = new ArrayList<>();
        private final List<List<float[]>> logitsKept = new ArrayList<>();
        private final SplittableRandom[] rngs;
        private final boolean[] done;
        private float[] logits;
        private float[] lse;
        private long tokensForwarded;
        private long prefillEnd;

        Decoding(Qwen2Model model, GenerationConfig cfg, List<Intervention> ivs, int rows, int width, int[] lengths) {
            this.model = model;
            this.cfg = cfg;
            this.ivs = ivs;
            this.rows = rows;
            this.width = width;
            this.lengths = lengths;
            this.vocab = model.config().vocabSize();
            this.eos = new HashSet<>(cfg.eosTokenIds());
            this.rngs = new SplittableRandom[rows];
            this.done = new boolean[rows];
            for (int b = 0; b < rows; b++) {
                out.add(new ArrayList<>());
                lps.add(new ArrayList<>());
                logitsKept.add(new ArrayList<>());
                rngs[b] = new SplittableRandom(cfg.seed() * 0x9E3779B97F4A7C15L + b);
            }
        }

        /** The Java decode step, when the config and the model allow it; its cache starts as a copy of libtorch's. */
        private CpuDecoder javaDecoder(KvCache cache) {
            GenerationConfig.DecodeEngine e = cfg.engine();
            if (e == GenerationConfig.DecodeEngine.LIBTORCH) return null;
            PackedModel packed = model.packed();
            if (packed == null) {
                if (e == GenerationConfig.DecodeEngine.JAVA) {
                    throw new IllegalArgumentException("the Java decode engine needs a float32 model on the CPU and heap for a copy of"
                            + " its weights (" + PackedModel.bytes(model.config()) / (1 << 20) + " MiB); use engine AUTO or LIBTORCH");
                }
                return null;
            }
            return new CpuDecoder(packed, cache, rows, ai.djl.pytorch.jni.JniUtils.getNumThreads());
        }

        /** The prompt forward's logits (null when no token is wanted) and the token columns it forwarded. */
        void firstLogits(NDArray l, long forwarded) {
            logits = l == null ? null : floats(l);
            lse = l == null ? null : logSumExp(l);
            tokensForwarded += forwarded;
            prefillEnd = System.nanoTime();
        }

        GenerationResult run(NDManager gen, KvCache cache, Map<HookPoint, List<float[][]>> captured, long t0) {
            Qwen2Config c = model.config();
            int steps = 0;
            CpuDecoder java = cfg.maxNewTokens() > 1 ? javaDecoder(cache) : null;
            int[] padCount = new int[rows];
            for (int b = 0; b < rows; b++) padCount[b] = width - lengths[b];
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
                int[][] stepIds = new int[rows][];
                int[] positions = new int[rows];
                for (int b = 0; b < rows; b++) {
                    stepIds[b] = new int[] {next[b]};
                    positions[b] = lengths[b] + k;
                }
                StepHooks hooks = new StepHooks(ivs, false, width, lengths, c).at(stepIds, positions);
                if (java != null) {
                    logits = java.step(next, positions, width + k, padCount, hooks);
                    lse = logSumExp(logits, rows, vocab);
                } else try (NDManager step = gen.newSubManager()) {
                    long[] ids = new long[rows], pos = new long[rows];
                    for (int b = 0; b < rows; b++) {
                        ids[b] = next[b];
                        pos[b] = positions[b];
                    }
                    NDArray mask = model.attentionMask(step, lengths, width, width + k, 1);
                    NDArray l = model.run(step, step.create(ids, new Shape(rows, 1)), step.create(pos, new Shape(rows, 1)),
                            mask, cache, width + k, hooks, new LinkedHashMap<>(), Qwen2Model.Logits.LAST);
                    logits = floats(l);
                    lse = logSumExp(l);
                }
                tokensForwarded += rows;
                steps++;
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
            return new GenerationResult(generated, logProbs, captured, stepLogitsOut, (prefillEnd - t0) / 1e9,
                    (t2 - prefillEnd) / 1e9, steps, tokensForwarded,
                    java != null ? GenerationConfig.DecodeEngine.JAVA : GenerationConfig.DecodeEngine.LIBTORCH);
        }
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

    /** {@link #logSumExp(NDArray)} of Java logits (rows × vocab), in float as libtorch computes it. */
    private static float[] logSumExp(float[] logits, int rows, int vocab) {
        float[] out = new float[rows];
        for (int b = 0; b < rows; b++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[b * vocab + i]);
            out[b] = (float) Math.log(VecOps.expShifted(logits, b * vocab, vocab, max, false)) + max;
        }
        return out;
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
