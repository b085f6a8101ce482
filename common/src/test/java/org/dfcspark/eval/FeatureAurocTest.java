package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.SplittableRandom;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Partition;
import org.junit.jupiter.api.Test;

/** AUROC per feature (Mann–Whitney, ties ½) from sparse activations, and ranking inside a partition block. */
class FeatureAurocTest {

    @Test
    void aurocByHand() {
        // pos {3, 1, 0, 0}, neg {1, 0, 0}: pairs (12): 3 beats all 3; 1 beats two zeros and ties one 1 → 2.5;
        // each 0 ties two zeros → 1 each. U = 3 + 2.5 + 1 + 1 = 7.5 → 7.5 / 12 = 0.625.
        assertEquals(0.625, FeatureRanking.auroc(new float[] {3, 1}, 4, new float[] {1}, 3), 1e-12);
        assertEquals(0.625, FeatureRanking.auroc(new double[] {0, 3, 0, 1}, new double[] {0, 1, 0}), 1e-12);
        // all zero on both sides: every pair ties → ½
        assertEquals(0.5, FeatureRanking.auroc(new float[0], 5, new float[0], 7), 1e-12);
        // perfect separation and its mirror
        assertEquals(1.0, FeatureRanking.auroc(new float[] {2, 5}, 2, new float[0], 3), 1e-12);
        assertEquals(0.0, FeatureRanking.auroc(new float[0], 3, new float[] {0.5f}, 1), 1e-12);
        // pos {2, 2}, neg {2, 1}: (2,2) ties ×2 → 1, (2,1) wins ×2 → 2; U = 3 → 0.75
        assertEquals(0.75, FeatureRanking.auroc(new float[] {2, 2}, 2, new float[] {2, 1}, 2), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> FeatureRanking.auroc(new float[] {1}, 0, new float[0], 1));
    }

    @Test
    void sparseAurocEqualsTheQuadraticPairCount() {
        SplittableRandom r = new SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            double[] pos = new double[1 + r.nextInt(30)], neg = new double[1 + r.nextInt(30)];
            for (double[] x : new double[][] {pos, neg}) {
                for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() < 0.6 ? 0 : r.nextInt(4); // many ties, many zeros
            }
            double u = 0;
            for (double p : pos) for (double q : neg) u += p > q ? 1 : p == q ? 0.5 : 0;
            assertEquals(u / (pos.length * neg.length), FeatureRanking.auroc(pos, neg), 1e-12, "trial " + trial);
        }
    }

    @Test
    void scoreRanksOneBlockWithCohensDAndAuroc() throws Exception {
        Crosscoder cc = SteeringTest.crosscoder(16, 24, 4, 3);
        Partition p = cc.partition(); // nA = nB = 3
        int n = 40;
        float[] tool = SteeringTest.gaussian(n * 32, 5), generic = SteeringTest.gaussian(n * 32, 6);
        for (int i = 0; i < tool.length; i++) tool[i] += 1.5f; // shift the tool set so some features separate
        FeatureRanking.SparseValues pos = FeatureRanking.values(cc, new ArrayActivations(tool, n, 16, "tool"), 7, 1);
        FeatureRanking.SparseValues neg = FeatureRanking.values(cc, new ArrayActivations(generic, n, 16, "generic"), 7, 1);
        FeatureRanking.GroupStats streamed = FeatureRanking.stats(cc, new ArrayActivations(tool, n, 16, "tool"), 8, 1);
        float[] denseTool = new BatchStep(cc, 1).encode(tool.clone(), n).features().toDense();
        float[] denseGeneric = new BatchStep(cc, 1).encode(generic.clone(), n).features().toDense();
        for (FeatureGroup g : FeatureGroup.values()) {
            List<FeatureRanking.Scored> scored = FeatureRanking.score(pos, neg, p, g);
            assertEquals(g.to(p) - g.from(p), scored.size());
            for (int i = 0; i < scored.size(); i++) {
                FeatureRanking.Scored s = scored.get(i);
                assertTrue(g.contains(p, s.feature()));
                if (i > 0) assertTrue(scored.get(i - 1).cohensD() >= s.cohensD(), "sorted by d");
                int j = s.feature();
                double[] a = new double[n], b = new double[n];
                for (int row = 0; row < n; row++) {
                    a[row] = denseTool[row * 24 + j];
                    b[row] = denseGeneric[row * 24 + j];
                }
                assertEquals(FeatureRanking.auroc(a, b), s.auroc(), 1e-12, "feature " + j);
                assertEquals(FeatureRanking.cohensD(a, b), s.cohensD(), 1e-6 * Math.max(1, Math.abs(s.cohensD())));
                assertEquals(streamed.mean(j), s.meanPositive(), 1e-5);
            }
        }
        List<FeatureRanking.Scored> all = FeatureRanking.score(pos, neg, p, FeatureGroup.ALL);
        List<Integer> top = FeatureRanking.topToolSigned(all, 3);
        assertFalse(top.isEmpty());
        for (int i = 0; i < top.size(); i++) assertEquals(all.get(i).feature(), top.get(i), "the top of the ranking, if d > 0");
        for (int f : top) assertTrue(all.stream().filter(s -> s.feature() == f).findFirst().orElseThrow().cohensD() > 0);
    }
}
