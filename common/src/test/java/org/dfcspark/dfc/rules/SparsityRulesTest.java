package org.dfcspark.dfc.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.dfcspark.dfc.FeatureSelection;
import org.dfcspark.dfc.SparseCodes;
import org.dfcspark.dfc.Sparsity;
import org.junit.jupiter.api.Test;

/** Sparsity rules are found by name, and each one selects exactly what FeatureSelection selects. */
class SparsityRulesTest {
    private static final int ROWS = 9, DICT = 40, K = 4, THREADS = 2;

    @Test
    void everyConfigNameHasItsRule() {
        assertInstanceOf(TopKRule.class, SparsityRules.named("topk"));
        assertInstanceOf(BatchTopKRule.class, SparsityRules.named("batchtopk"));
        assertInstanceOf(ReluRule.class, SparsityRules.named("relu"));
        for (Sparsity s : Sparsity.values()) assertEquals(s.id(), SparsityRules.of(s).name());
        assertTrue(SparsityRules.named("batchtopk").needsCodeNorms());
        assertFalse(SparsityRules.named("topk").needsCodeNorms());
    }

    @Test
    void anUnknownNameIsRefusedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparsityRules.named("jumprelu"));
        assertTrue(e.getMessage().contains("'jumprelu'") && e.getMessage().contains("[topk, batchtopk, relu]"), e.getMessage());
    }

    @Test
    void eachRuleSelectsWhatFeatureSelectionSelects() {
        SplittableRandom r = new SplittableRandom(7);
        float[] pre = new float[ROWS * DICT], norms = new float[DICT];
        for (int i = 0; i < pre.length; i++) pre[i] = (float) r.nextGaussian();
        for (int j = 0; j < DICT; j++) norms[j] = 0.5f + (float) r.nextDouble();

        SparseCodes want = new SparseCodes(DICT), got = new SparseCodes(DICT);
        FeatureSelection.topKPerRow(pre, ROWS, DICT, K, null, null, want, THREADS);
        assertTrue(Double.isNaN(new TopKRule().select(pre, ROWS, DICT, K, null, -1, true, THREADS, got)));
        assertArrayEquals(want.toDense(), got.toDense());

        FeatureSelection.relu(pre, ROWS, DICT, want, THREADS);
        new ReluRule().select(pre, ROWS, DICT, K, null, -1, true, THREADS, got);
        assertArrayEquals(want.toDense(), got.toDense());

        double minWant = FeatureSelection.batchTopK(pre, ROWS, DICT, (long) K * ROWS, norms, want, THREADS);
        double minGot = new BatchTopKRule().select(pre, ROWS, DICT, K, norms, -1, true, THREADS, got);
        assertEquals(minWant, minGot);
        assertArrayEquals(want.toDense(), got.toDense());

        // inference: the learned threshold replaces the batch rule
        FeatureSelection.threshold(pre, ROWS, DICT, norms, 0.8, want, THREADS);
        assertTrue(Double.isNaN(new BatchTopKRule().select(pre, ROWS, DICT, K, norms, 0.8, false, THREADS, got)));
        assertArrayEquals(want.toDense(), got.toDense());
    }
}
