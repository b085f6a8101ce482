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
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.ResidualReader;

/**
 * Generates one prompt under a list of conditions. {@link #generate} groups the conditions by model: those that
 * differ from clean only from the last prompt token on share one forward of the first T−1 tokens
 * ({@link Generator#generateFromSharedPrefix}) and decode together; the others (edits at every prompt token or every
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

    /** The grouped path: shared prefix for last-token conditions, one batch per group. */
    public PromptGenerations generate(int[] prompt, List<Condition> conditions) {
        checkAll(prompt, conditions);
        Generation[] out = new Generation[conditions.size()];
        long forwarded = 0, read = 0;
        Map<Side, float[][]> partnerReads = new EnumMap<>(Side.class);
        for (Side side : Side.values()) {
            List<Integer> shared = new ArrayList<>(), full = new ArrayList<>();
            for (int i = 0; i < conditions.size(); i++) {
                Condition c = conditions.get(i);
                if (c.model() == side) (c.sharesPrefix() ? shared : full).add(i);
            }
            if (!shared.isEmpty()) {
                try (Batch batch = batch(prompt, conditions, shared, partnerReads)) {
                    GenerationResult r = Generator.generateFromSharedPrefix(model(side), prompt, shared.size(), cfg, batch.interventions, prefixes);
                    forwarded += r.tokensForwarded();
                    read += batch.read;
                    collect(out, r, prompt, conditions, shared);
                }
            }
            if (!full.isEmpty()) {
                try (Batch batch = batch(prompt, conditions, full, partnerReads)) {
                    GenerationResult r = Generator.generate(model(side), Collections.nCopies(full.size(), prompt), cfg, batch.interventions);
                    forwarded += r.tokensForwarded();
                    read += batch.read + batch.lockstepTokens();
                    collect(out, r, prompt, conditions, full);
                }
            }
        }
        return result(List.of(out), forwarded, read);
    }

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
                collect(out, r, prompt, conditions, List.of(i));
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

    private void collect(Generation[] out, GenerationResult r, int[] prompt, List<Condition> conditions, List<Integer> rows) {
        for (int j = 0; j < rows.size(); j++) {
            int[] ids = r.generated(j);
            out[rows.get(j)] = new Generation(conditions.get(rows.get(j)), prompt.clone(), ids, detokenize.apply(ids));
        }
    }

    private static PromptGenerations result(List<Generation> gens, long forwarded, long read) {
        long naive = 0;
        for (Generation g : gens) naive += g.promptIds().length + Math.max(g.generatedIds().length - 1, 0);
        return new PromptGenerations(gens, forwarded, naive, read);
    }
}
