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

    /**
     * TopK against a full sort, on rows that defeat the guessed threshold of the fast path: scales that jump by 10×
     * from row to row, rows with fewer than k positive entries, ties, NaN, rows with nothing positive or only subnormal values, a width that is no multiple of a vector.
     */
    @Test
    void topKPerRowKeepsTheKLargestPositiveEntriesTiesToTheLowerIndex() {
        int rows = 70, dict = 1000, k = 16;
        SplittableRandom r = new SplittableRandom(11);
        float[] pre = new float[rows * dict];
        for (int b = 0; b < rows; b++) {
            float scale = (float) Math.pow(10, b % 5 - 2);
            for (int j = 0; j < dict; j++) {
                float v = (float) r.nextGaussian() * scale;
                if (b % 7 == 3) v = Math.round(v / scale * 2) / 2f * scale; // many ties
                if (b % 11 == 5) v = j % 100 == 0 ? Math.abs(v) + 1e-3f : -Math.abs(v); // 10 positives < k
                if (b == 20) v = -Math.abs(v); // nothing positive
                if (b == 21) v = Math.abs(v) * 1e-40f; // subnormal: thresholds derived from them underflow to 0
                pre[b * dict + j] = v;
            }
        }
        pre[4 * dict + 17] = Float.NaN;
        pre[4 * dict + 18] = Float.POSITIVE_INFINITY;
        float[] want = new float[rows * dict];
        for (int b = 0; b < rows; b++) {
            int o = b * dict;
            java.util.List<Integer> positive = new java.util.ArrayList<>();
            for (int j = 0; j < dict; j++) if (pre[o + j] > 0f) positive.add(j);
            positive.sort((x, y) -> pre[o + x] != pre[o + y] ? Float.compare(pre[o + y], pre[o + x]) : Integer.compare(x, y));
            for (int j : positive.subList(0, Math.min(k, positive.size()))) want[o + j] = pre[o + j];
        }
        for (int threads : new int[] {1, 3}) {
            SparseCodes got = new SparseCodes(dict);
            FeatureSelection.topKPerRow(pre, rows, dict, k, null, null, got, threads);
            assertArrayEquals(want, got.toDense(), "threads " + threads);
        }
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
