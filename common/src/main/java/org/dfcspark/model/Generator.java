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
        return generateFromSharedPrefixes(model, List.of(new SharedPrefix(prompt, copies, interventions)), cfg, prefixes);
    }

    /** Weight bytes one float32 decode step reads: every layer's products and the lm_head (the embedding only by row). */
    public static long decodeStepWeightBytes(Qwen2Config c) {
        return PackedModel.streamedBytesPerStep(c);
    }

    /**
     * One prompt's rows in {@link #generateFromSharedPrefixes}: {@code copies} continuations that differ only from
     * the last prompt token on, and the interventions over those rows (numbered 0 .. copies−1).
     */
    public record SharedPrefix(int[] prompt, int copies, List<Intervention> interventions) {
        public SharedPrefix {
            if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("empty prompt");
            if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
            interventions = interventions == null ? List.of() : List.copyOf(interventions);
        }
    }

    /**
     * The continuations of several prompts decoded as one batch. Each prompt's prompt forward is exactly that of
     * {@link #generateFromSharedPrefix} (its own rows, no padding); then every row decodes together, rows in the
     * order of {@code prompts} and of their copies, the shorter prompts' keys and values left-padded to the longest.
     * Why: a decode step streams every weight once for all its rows, so a few rows per prompt would leave the step
     * memory-bound; on the Java decode step a row's arithmetic does not depend on the other rows, so the tokens are
     * those of one call per prompt. With several prompts the interventions must act in the prompt forward only
     * (their decode steps run all rows at once).
     */
    public static GenerationResult generateFromSharedPrefixes(Qwen2Model model, List<SharedPrefix> prompts, GenerationConfig cfg,
                                                              PrefixCache prefixes) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        for (SharedPrefix p : prompts) {
            for (Intervention iv : p.interventions()) {
                Positions pos = iv.positions();
                boolean lastOnly = pos instanceof Positions.LastPrompt || pos instanceof Positions.Generated
                        || pos instanceof Positions.Indices i && i.values().length == 1 && i.values()[0] == -1;
                if (iv instanceof Intervention.Capture || !lastOnly) {
                    throw new IllegalArgumentException(iv + " cannot run on a shared prefix: only edits at the last prompt token"
                            + " or at generated tokens can (use generate)");
                }
                if (prompts.size() > 1 && iv.activeIn(false)) {
                    throw new IllegalArgumentException(iv + " edits decode steps: prompts decoded together take edits of the prompt"
                            + " forward only (generate one prompt per call)");
                }
            }
        }
        Qwen2Config c = model.config();
        int rows = 0, width = 0;
        for (SharedPrefix p : prompts) {
            TokenBatch.leftPadded(List.of(p.prompt()), cfg.padTokenId()).checkVocab(c.vocabSize());
            rows += p.copies();
            width = Math.max(width, p.prompt().length);
        }
        int[] lengths = new int[rows];
        for (int i = 0, row = 0; i < prompts.size(); i++) {
            for (int j = 0; j < prompts.get(i).copies(); j++) lengths[row++] = prompts.get(i).prompt().length;
        }
        boolean wantLogits = cfg.maxNewTokens() > 0;
        float[] logits = wantLogits ? new float[rows * c.vocabSize()] : null, lse = wantLogits ? new float[rows] : null;
        long t0 = System.nanoTime();
        try (NDManager gen = NDManager.newBaseManager(model.device())) {
            int capacity = width + Math.max(cfg.maxNewTokens() - 1, 0);
            KvCache cache = new KvCache(gen, c, rows, capacity, model.dataType());
            long forwarded = 0;
            for (int i = 0, row = 0; i < prompts.size(); row += prompts.get(i).copies(), i++) {
                SharedPrefix p = prompts.get(i);
                if (prompts.size() == 1) {
                    forwarded += promptForward(model, p, cfg, prefixes, gen, cache, logits, lse, row);
                } else try (NDManager own = gen.newSubManager()) {
                    int t = p.prompt().length;
                    // The capacity one call for this prompt would have: attention then reads views of the same
                    // strides, so libtorch takes the same kernels and the prompt forward is the same to the bit.
                    KvCache rowsCache = new KvCache(own, c, p.copies(), t + Math.max(cfg.maxNewTokens() - 1, 0), model.dataType());
                    forwarded += promptForward(model, p, cfg, prefixes, own, rowsCache, logits, lse, row);
                    cache.copyRows(rowsCache, row, width - t, t);
                }
            }
            Decoding decoding = new Decoding(model, cfg, prompts.size() == 1 ? prompts.get(0).interventions() : List.of(), rows, width, lengths);
            decoding.firstLogits(logits, lse, forwarded);
            return decoding.run(gen, cache, new LinkedHashMap<>(), t0);
        }
    }

    /**
     * The prompt forward of one {@link SharedPrefix} into {@code cache} (its rows, columns 0 .. T−1): the first T−1
     * tokens once (or from {@code prefixes}), copied into every row, then the last token for every row with the
     * interventions. Writes the rows' last logits and their log-sum-exp at {@code row0}; returns the columns forwarded.
     */
    private static long promptForward(Qwen2Model model, SharedPrefix p, GenerationConfig cfg, PrefixCache prefixes, NDManager gen,
                                      KvCache cache, float[] logits, float[] lse, int row0) {
        Qwen2Config c = model.config();
        int[] prompt = p.prompt();
        int t = prompt.length, copies = p.copies();
        int[] lengths = new int[copies], ones = new int[copies], lastColumn = new int[copies];
        int[][] lastIds = new int[copies][];
        for (int b = 0; b < copies; b++) {
            lengths[b] = t;
            ones[b] = 1;
            lastColumn[b] = t - 1;
            lastIds[b] = new int[] {prompt[t - 1]};
        }
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
            StepHooks hooks = new StepHooks(p.interventions(), true, 1, ones, c).at(lastIds, lastColumn);
            long[] ids = new long[copies], pos = new long[copies];
            Arrays.fill(ids, prompt[t - 1]);
            Arrays.fill(pos, t - 1);
            NDArray l = model.run(step, step.create(ids, new Shape(copies, 1)), step.create(pos, new Shape(copies, 1)),
                    model.attentionMask(step, lengths, t, t - 1, 1), cache, t - 1, hooks, new LinkedHashMap<>(),
                    logits != null ? Qwen2Model.Logits.LAST : Qwen2Model.Logits.NONE);
            if (logits != null) {
                float[] rowsLogits = floats(l), rowsLse = logSumExp(l);
                System.arraycopy(rowsLogits, 0, logits, row0 * c.vocabSize(), rowsLogits.length);
                System.arraycopy(rowsLse, 0, lse, row0, copies);
            }
        }
        return forwarded + copies;
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
            firstLogits(l == null ? null : floats(l), l == null ? null : logSumExp(l), forwarded);
        }

        /** {@link #firstLogits(NDArray, long)} with the logits (rows × vocab) and their log-sum-exp already read. */
        void firstLogits(float[] rowLogits, float[] rowLse, long forwarded) {
            logits = rowLogits;
            lse = rowLse;
            tokensForwarded += forwarded;
            prefillEnd = System.nanoTime();
        }

        GenerationResult run(NDManager gen, KvCache cache, Map<HookPoint, List<float[][]>> captured, long t0) {
            Qwen2Config c = model.config();
            int steps = 0;
            CpuDecoder java = cfg.maxNewTokens() > 1 ? javaDecoder(cache) : null;
            // The Java step drops finished rows, unless an edit acts on decode steps (it numbers the batch's rows).
            boolean dropFinished = java != null && ivs.stream().noneMatch(iv -> iv.activeIn(false));
            int[] live = new int[rows]; // live[i] = the batch row of the step's row i (the logits' row i)
            for (int b = 0; b < rows; b++) live[b] = b;
            int n = rows;
            for (int k = 0; k < cfg.maxNewTokens(); k++) {
                int[] next = new int[rows];
                Arrays.fill(next, cfg.padTokenId()); // a finished row is fed the pad id, as HF generate does
                for (int i = 0; i < n; i++) {
                    int b = live[i];
                    if (done[b]) continue;
                    int from = i * vocab;
                    int tok = cfg.sample()
                            ? Sampler.sample(logits, from, vocab, cfg.temperature(), cfg.topP(), rngs[b])
                            : Sampler.argmax(logits, from, vocab);
                    next[b] = tok;
                    out.get(b).add(tok);
                    lps.get(b).add(logits[from + tok] - lse[i]);
                    if (cfg.keepStepLogits()) logitsKept.get(b).add(Arrays.copyOfRange(logits, from, from + vocab));
                    if (eos.contains(tok)) done[b] = true;
                }
                if (k == cfg.maxNewTokens() - 1 || allTrue(done)) break;
                if (dropFinished) {
                    boolean[] keep = new boolean[n];
                    int kept = 0;
                    for (int i = 0; i < n; i++) {
                        keep[i] = !done[live[i]];
                        if (keep[i]) live[kept++] = live[i];
                    }
                    if (kept < n) java.keep(keep);
                    n = kept;
                }
                int[] stepNext = new int[n], positions = new int[n], stepLengths = new int[n], padCount = new int[n];
                int[][] stepIds = new int[n][];
                for (int i = 0; i < n; i++) {
                    int b = live[i];
                    stepNext[i] = next[b];
                    stepIds[i] = new int[] {next[b]};
                    positions[i] = lengths[b] + k;
                    stepLengths[i] = lengths[b];
                    padCount[i] = width - lengths[b];
                }
                StepHooks hooks = new StepHooks(ivs, false, width, stepLengths, c).at(stepIds, positions);
                if (java != null) {
                    logits = java.step(stepNext, positions, width + k, padCount, hooks);
                    lse = logSumExp(logits, n, vocab);
                } else try (NDManager step = gen.newSubManager()) {
                    long[] ids = new long[n], pos = new long[n];
                    for (int i = 0; i < n; i++) {
                        ids[i] = stepNext[i];
                        pos[i] = positions[i];
                    }
                    NDArray mask = model.attentionMask(step, stepLengths, width, width + k, 1);
                    NDArray l = model.run(step, step.create(ids, new Shape(n, 1)), step.create(pos, new Shape(n, 1)),
                            mask, cache, width + k, hooks, new LinkedHashMap<>(), Qwen2Model.Logits.LAST);
                    logits = floats(l);
                    lse = logSumExp(l);
                }
                tokensForwarded += n;
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
