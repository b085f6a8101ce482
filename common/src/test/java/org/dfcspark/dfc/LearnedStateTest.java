package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The learned state is grouped in LearnedState without changing config.json or the two-part constructor. */
class LearnedStateTest {

    @Test
    void learnedStateIsApartFromTheHyperparametersAndTheJsonIsUnchanged() {
        int d = 3;
        Normalization norm = new Normalization(Normalization.Scheme.ZSCORE, false, d, new float[] {1, 2, 3, 4, 5, 6},
                new float[] {1, 1, 2, 2, 3, 3});
        CrosscoderConfig twoParts = new CrosscoderConfig(d, 8, 2, 2, 2, Sparsity.BATCHTOPK, LossKind.REFERENCE, 1e-3, 1e-3,
                0.25, 100, Coupling.SEPARATE, norm, 0.75, Map.of("seed", 1));
        CrosscoderConfig grouped = CrosscoderConfig.paper(d, 8, 2, 2, 2).withSparsity(Sparsity.BATCHTOPK)
                .withLoss(LossKind.REFERENCE, 1e-3, 1e-3).withAuxK(0.25, 100).withProvenance(Map.of("seed", 1))
                .withLearned(new LearnedState(norm, 0.75));
        assertEquals(twoParts, grouped);
        assertEquals(twoParts.toJson(), grouped.toJson());
        assertSame(norm, grouped.normalization());
        assertEquals(0.75, grouped.threshold());

        CrosscoderConfig updated = grouped.withThreshold(0.5);
        assertEquals(new LearnedState(norm, 0.5), updated.learned());
        assertEquals(grouped.withLearned(updated.learned()), updated);
        assertEquals(grouped.toJson().replace("0.75", "0.5"), updated.toJson());
        assertEquals(LearnedState.NONE, CrosscoderConfig.paper(d, 8, 2, 2, 2).learned());
    }
}
