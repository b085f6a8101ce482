package org.dfcspark.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.PrefixCache;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.ResidualReader;

/**
 * Generates prompts under a list of conditions. {@link #generate} groups the conditions by model: those that
 * differ from clean only from the last prompt token on share one forward of the first T−1 tokens
 * ({@link Generator#generateFromSharedPrefixes}) and decode together, several prompts' rows in one batch; the others (edits at every prompt token or every
 * step) decode together from a full prompt forward per row. {@link #generateNaive} runs one
 * {@link Generator#generate} per condition, the reference the grouped path must equal token for token (greedy).
 */
public final class ConditionGenerator {
    private final Qwen2Model a;
    private final Qwen2Model b;
    private final HookPoint hook;
    private final ConditionEdits edits;
    private final GenerationConfig cfg;
    private final Function<int[], String> detokenize;
    private final PrefixCache prefixes;

    /** One generation: the prompt ids fed, the generated ids (up to and including EOS) and their text. */
    public record Generation(Condition condition, int[] promptIds, int[] generatedIds, String text) implements Serializable {}

    /**
     * The generations of one prompt in the order of the conditions, with the cost of producing them.
     *
     * @param tokensForwarded      token columns forwarded through a whole model for generation (rows × columns, summed)
     * @param naiveTokensForwarded what one generate per condition forwards for the same outputs: per generation,
     *                             T + max(n − 1, 0) for n generated tokens
     * @param partnerTokensRead    token columns forwarded through layers 0..L only, to read the other model's residual
     */
    public record PromptGenerations(List<Generation> generations, long tokensForwarded, long naiveTokensForwarded,
                                    long partnerTokensRead) implements Serializable {}

    public ConditionGenerator(Qwen2Model a, Qwen2Model b, HookPoint hook, ConditionEdits edits, GenerationConfig cfg,
                              Function<int[], String> detokenize) {
        this(a, b, hook, edits, cfg, detokenize, null);
    }

    /**
     * @param prefixes where the shared prefixes' keys and values are kept between prompts' generations (an evaluation
     *                 generates each prompt once per crosscoder, on the same clean prefix); null to compute each
     */
    public ConditionGenerator(Qwen2Model a, Qwen2Model b, HookPoint hook, ConditionEdits edits, GenerationConfig cfg,
                              Function<int[], String> detokenize, PrefixCache prefixes) {
        if (a.config().hiddenSize() != b.config().hiddenSize() || a.config().vocabSize() != b.config().vocabSize()) {
            throw new IllegalArgumentException("models A and B differ in hidden size or vocabulary");
        }
        if (hook.site() == HookPoint.Site.FINAL_NORM) throw new IllegalArgumentException("conditions edit a block's residual, not " + hook);
        if (edits.crosscoder().activationDim() != a.config().hiddenSize()) {
            throw new IllegalArgumentException("the crosscoder reads " + edits.crosscoder().activationDim()
                    + "-dimensional activations but the model's hidden size is " + a.config().hiddenSize());
        }
        this.a = a;
        this.b = b;
        this.hook = hook;
        this.edits = edits;
        this.cfg = cfg;
        this.detokenize = detokenize;
        this.prefixes = prefixes;
    }

    /** The grouped path for one prompt: shared prefix for last-token conditions, one batch per group. */
    public PromptGenerations generate(int[] prompt, List<Condition> conditions) {
        return generate(List.of(prompt), conditions);
    }

    /**
     * The grouped path for several prompts: as for one, with the shared-prefix rows of every prompt (per model)
     * decoded as one batch ({@link Generator#generateFromSharedPrefixes}: a decode step streams the weights once for
     * all its rows). The generations are prompt-major (the first prompt's conditions in order, then the next
     * prompt's) and the same, token for token, as one call per prompt; the counts are summed over the prompts.
     */
    public PromptGenerations generate(List<int[]> prompts, List<Condition> conditions) {
        for (int[] prompt : prompts) checkAll(prompt, conditions);
        int n = conditions.size();
        Generation[] out = new Generation[prompts.size() * n];
        long forwarded = 0, read = 0;
        List<Map<Side, float[][]>> partnerReads = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) partnerReads.add(new EnumMap<>(Side.class));
        for (Side side : Side.values()) {
            List<Integer> shared = new ArrayList<>(), full = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Condition c = conditions.get(i);
                if (c.model() == side) (c.sharesPrefix() ? shared : full).add(i);
            }
            if (!shared.isEmpty()) {
                List<Batch> batches = new ArrayList<>();
                try {
                    List<Generator.SharedPrefix> rows = new ArrayList<>();
                    for (int p = 0; p < prompts.size(); p++) {
                        Batch batch = batch(prompts.get(p), conditions, shared, partnerReads.get(p));
                        batches.add(batch);
                        read += batch.read;
                        rows.add(new Generator.SharedPrefix(prompts.get(p), shared.size(), batch.interventions));
                    }
                    GenerationResult r = Generator.generateFromSharedPrefixes(model(side), rows, cfg, prefixes);
                    forwarded += r.tokensForwarded();
                    for (int p = 0; p < prompts.size(); p++) collect(out, p * n, r, p * shared.size(), prompts.get(p), conditions, shared);
                } finally {
                    for (Batch b : batches) b.close();
                }
            }
            if (!full.isEmpty()) {
                for (int p = 0; p < prompts.size(); p++) {
                    int[] prompt = prompts.get(p);
                    try (Batch batch = batch(prompt, conditions, full, partnerReads.get(p))) {
                        GenerationResult r = Generator.generate(model(side), Collections.nCopies(full.size(), prompt), cfg, batch.interventions);
                        forwarded += r.tokensForwarded();
                        read += batch.read + batch.lockstepTokens();
                        collect(out, p * n, r, 0, prompt, conditions, full);
                    }
                }
            }
        }
        return result(List.of(out), forwarded, read);
    }

    /**
     * How many prompts {@link #generate(List, List)} should take at once for these conditions, on these models: see
     * {@link #promptsPerBatch(Qwen2Config, int, List, int)}.
     */
    public int promptsPerBatch(List<Condition> conditions, int maxPromptLength) {
        return promptsPerBatch(a.config(), cfg.maxNewTokens(), conditions, maxPromptLength);
    }

    /**
     * How many prompts to decode together: one where a decode step's weights fit the caches (under
     * {@value #CACHED_WEIGHTS_MB} MiB: nothing to share, and a larger batch only costs larger copies of the keys and
     * values); otherwise enough for about {@value #DECODE_ROWS} rows on the model with fewer shared-prefix rows, at most
     * {@value #MAX_DECODE_ROWS} on the other, and the batch's keys and values (libtorch's and the Java decode step's
     * copy, for prompts up to {@code maxPromptLength} tokens) within {@value #KV_BUDGET_MB} MiB; at least 1.
     */
    public static int promptsPerBatch(Qwen2Config model, int maxNewTokens, List<Condition> conditions, int maxPromptLength) {
        if (Generator.decodeStepWeightBytes(model) < (long) CACHED_WEIGHTS_MB << 20) return 1;
        int fewest = Integer.MAX_VALUE, most = 0;
        for (Side side : Side.values()) {
            int rows = 0;
            for (Condition c : conditions) if (c.model() == side && c.sharesPrefix()) rows++;
            if (rows == 0) continue;
            fewest = Math.min(fewest, rows);
            most = Math.max(most, rows);
        }
        if (most == 0) return 1;
        long kvPerRow = 2L * 2 * model.numHiddenLayers() * model.numKeyValueHeads() * model.headDim() * Float.BYTES
                * (maxPromptLength + Math.max(maxNewTokens - 1, 0));
        long byRows = Math.min(DECODE_ROWS / fewest, MAX_DECODE_ROWS / most);
        long byMemory = ((long) KV_BUDGET_MB << 20) / Math.max(1, most * kvPerRow);
        return (int) Math.max(1, Math.min(byRows, byMemory));
    }

    /** Decode-step weights below this fit a server CPU's last-level cache. */
    static final int CACHED_WEIGHTS_MB = 32;
    /** Rows a decode batch aims at (weights streamed once per step for all of them). */
    static final int DECODE_ROWS = 64;
    /** Rows a decode batch may reach on the model with more conditions. */
    static final int MAX_DECODE_ROWS = 256;
    /** Keys and values a batch of prompts may hold. */
    static final int KV_BUDGET_MB = 1024;

    /** The reference: one {@link Generator#generate} (one row) per condition. */
    public PromptGenerations generateNaive(int[] prompt, List<Condition> conditions) {
        checkAll(prompt, conditions);
        Generation[] out = new Generation[conditions.size()];
        long forwarded = 0, read = 0;
        for (int i = 0; i < conditions.size(); i++) {
            try (Batch batch = batch(prompt, conditions, List.of(i), new EnumMap<>(Side.class))) {
                GenerationResult r = Generator.generate(model(conditions.get(i).model()), List.of(prompt), cfg, batch.interventions);
                forwarded += r.tokensForwarded();
                read += batch.read + batch.lockstepTokens();
                collect(out, 0, r, 0, prompt, conditions, List.of(i));
            }
        }
        return result(List.of(out), forwarded, read);
    }

    /**
     * The edits of the conditions at {@code rows} (all of one model), as one intervention over that batch.
     * {@code partnerReads} keeps the other model's prompt residuals per edited side, so a prompt reads them once.
     */
    private Batch batch(int[] prompt, List<Condition> conditions, List<Integer> rows, Map<Side, float[][]> partnerReads) {
        Side side = conditions.get(rows.get(0)).model();
        PairEdit[] rowEdits = new PairEdit[rows.size()];
        EditPositions[] positions = new EditPositions[rows.size()];
        boolean anyEdit = false, everyStep = false;
        for (int r = 0; r < rows.size(); r++) {
            Condition c = conditions.get(rows.get(r));
            rowEdits[r] = edits.edit(c);
            positions[r] = c.positions();
            anyEdit |= rowEdits[r] != null;
            everyStep |= rowEdits[r] != null && c.positions() == EditPositions.EVERY_STEP;
        }
        if (!anyEdit) return new Batch(List.of(), null, 0);
        Qwen2Model partner = model(side.other());
        if (!everyStep) {
            // One read of the prompt serves every row: a layer-L residual does not depend on edits at layer L.
            // ... and every crosscoder at this hook: with a prefix cache, a prompt's partner residuals are read once per executor
            float[][] residuals = partnerReads.get(side);
            long read = 0;
            if (residuals == null && prefixes != null) residuals = prefixes.residuals(partner, hook, prompt);
            if (residuals == null) {
                try (ResidualReader reader = new ResidualReader(partner, hook, List.of(prompt), cfg.padTokenId(), 0)) {
                    residuals = reader.promptResiduals().get(0);
                }
                read = prompt.length;
                if (prefixes != null) prefixes.keepResiduals(partner, hook, prompt, residuals);
            }
            partnerReads.put(side, residuals);
            ConditionRewrite rw = new ConditionRewrite(rowEdits, positions, Collections.nCopies(rows.size(), residuals), null);
            return new Batch(List.of(rw.intervention(hook)), null, read);
        }
        ResidualReader lockstep = new ResidualReader(partner, hook, Collections.nCopies(rows.size(), prompt), cfg.padTokenId(),
                cfg.maxNewTokens());
        ConditionRewrite rw = new ConditionRewrite(rowEdits, positions, lockstep.promptResiduals(), lockstep);
        return new Batch(List.of(rw.intervention(hook)), lockstep, (long) rows.size() * prompt.length);
    }

    /** A batch's interventions, the lockstep reader to close after generation, and the partner tokens read so far. */
    private static final class Batch implements AutoCloseable {
        final List<Intervention> interventions;
        final ResidualReader lockstep;
        final long read;
        private final int rows;

        Batch(List<Intervention> interventions, ResidualReader lockstep, long read) {
            this.interventions = interventions;
            this.lockstep = lockstep;
            this.read = read;
            this.rows = lockstep == null ? 0 : lockstep.promptResiduals().size();
        }

        long lockstepTokens() {
            return lockstep == null ? 0 : (long) rows * lockstep.fed();
        }

        @Override
        public void close() {
            if (lockstep != null) lockstep.close();
        }
    }

    /** Bad conditions fail before any generation is spent. */
    private void checkAll(int[] prompt, List<Condition> conditions) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        for (Condition c : conditions) edits.edit(c);
    }

    private Qwen2Model model(Side side) {
        return side == Side.A ? a : b;
    }

    /** Result rows from {@code row0} on are the conditions at {@code rows}, written to {@code out} from {@code out0}. */
    private void collect(Generation[] out, int out0, GenerationResult r, int row0, int[] prompt, List<Condition> conditions, List<Integer> rows) {
        for (int j = 0; j < rows.size(); j++) {
            int[] ids = r.generated(row0 + j);
            out[out0 + rows.get(j)] = new Generation(conditions.get(rows.get(j)), prompt.clone(), ids, detokenize.apply(ids));
        }
    }

    private static PromptGenerations result(List<Generation> gens, long forwarded, long read) {
        long naive = 0;
        for (Generation g : gens) naive += g.promptIds().length + Math.max(g.generatedIds().length - 1, 0);
        return new PromptGenerations(gens, forwarded, naive, read);
    }
}
