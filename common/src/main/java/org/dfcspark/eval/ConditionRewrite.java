package org.dfcspark.eval;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Phase;
import org.dfcspark.model.Positions;
import org.dfcspark.model.ResidualReader;
import org.dfcspark.model.ResidualRewrite;

/**
 * The rewrite for a batch whose rows are conditions of one model on prompts: each row has its own {@link PairEdit}
 * (null = clean) and positions. The other model's residual at each edited token comes from a clean read of the
 * prompt (a layer-L residual does not depend on edits made at layer L) and, for generated tokens, from a
 * {@link ResidualReader} fed the same tokens in lockstep.
 */
final class ConditionRewrite implements ResidualRewrite {
    private final PairEdit[] edits;
    private final EditPositions[] positions;
    private final List<float[][]> partnerPrompt;
    private final ResidualReader partnerLockstep;

    /**
     * @param partnerPrompt   per row, the other model's {@code [prompt position][d]} at the hook
     * @param partnerLockstep the other model fed each row's generated tokens; needed when a row edits every step
     */
    ConditionRewrite(PairEdit[] edits, EditPositions[] positions, List<float[][]> partnerPrompt, ResidualReader partnerLockstep) {
        boolean everyStep = false;
        for (int r = 0; r < edits.length; r++) everyStep |= edits[r] != null && positions[r] == EditPositions.EVERY_STEP;
        if (everyStep && partnerLockstep == null) throw new IllegalArgumentException("every-step edits need the other model in lockstep");
        this.edits = edits.clone();
        this.positions = positions.clone();
        this.partnerPrompt = partnerPrompt;
        this.partnerLockstep = everyStep ? partnerLockstep : null;
    }

    /** The single intervention that applies every row's edit at {@code hook}. */
    Intervention intervention(HookPoint hook) {
        boolean lastOnly = true, everyStep = false;
        for (int r = 0; r < edits.length; r++) {
            if (edits[r] == null) continue;
            lastOnly &= positions[r] == EditPositions.LAST;
            everyStep |= positions[r] == EditPositions.EVERY_STEP;
        }
        return new Intervention.Rewrite(hook, lastOnly ? Positions.lastPrompt() : Positions.all(),
                everyStep ? Phase.EVERY_STEP : Phase.PREFILL, this);
    }

    @Override
    public float[][] rewrite(Site site, float[][] residuals) {
        float[][] stepPartner = null;
        if (!site.promptStep() && partnerLockstep != null) {
            // Decode steps select every row's new token, in row order: feed them all to keep the lockstep aligned.
            if (site.rows().length != edits.length) throw new IllegalStateException("a decode step must present every row");
            for (int i = 0; i < site.rows().length; i++) {
                int expected = partnerPrompt.get(i).length + partnerLockstep.fed();
                if (site.rows()[i] != i || site.positions()[i] != expected) {
                    throw new IllegalStateException("lockstep lost: row " + i + " at position " + site.positions()[i] + ", expected " + expected);
                }
            }
            stepPartner = partnerLockstep.feed(site.tokens());
        }
        Map<PairEdit, List<Integer>> byEdit = new IdentityHashMap<>();
        for (int i = 0; i < residuals.length; i++) {
            int row = site.rows()[i];
            PairEdit e = edits[row];
            if (e != null && positions[row].touches(site.promptStep(), site.positions()[i], partnerPrompt.get(row).length)) {
                byEdit.computeIfAbsent(e, k -> new ArrayList<>()).add(i);
            }
        }
        float[][] out = residuals.clone();
        for (Map.Entry<PairEdit, List<Integer>> g : byEdit.entrySet()) {
            List<Integer> idx = g.getValue();
            float[][] own = new float[idx.size()][], partner = new float[idx.size()][];
            for (int j = 0; j < idx.size(); j++) {
                int i = idx.get(j), row = site.rows()[i];
                own[j] = residuals[i];
                partner[j] = site.promptStep() ? partnerPrompt.get(row)[site.positions()[i]] : stepPartner[row];
            }
            float[][] edited = g.getKey().apply(own, partner);
            for (int j = 0; j < idx.size(); j++) out[idx.get(j)] = edited[j];
        }
        return out;
    }
}
