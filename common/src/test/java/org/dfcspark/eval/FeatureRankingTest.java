package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.junit.jupiter.api.Test;

class FeatureRankingTest {

    @Test
    void cohensDUsesThePooledSampleStandardDeviation() {
        // means 2 and 1/3, sample variances 1 and 1/3, pooled sd = sqrt((2·1 + 2·1/3) / 4) = sqrt(2/3)
        double d = FeatureRanking.cohensD(new double[] {1, 2, 3}, new double[] {0, 0, 1});
        assertEquals((5.0 / 3) / Math.sqrt(2.0 / 3), d, 1e-12);
        assertEquals(-d, FeatureRanking.cohensD(new double[] {0, 0, 1}, new double[] {1, 2, 3}), 1e-12);
        // unequal sizes weight the variances by their degrees of freedom: pooled = sqrt((3·s1² + 1·s2²) / 4)
        double[] x = {4, 6, 5, 9}, y = {1, 3};
        double m1 = 6, s1 = 14.0 / 3; // deviations -2, 0, -1, 3
        double m2 = 2, s2 = 2.0;
        assertEquals((m1 - m2) / Math.sqrt((3 * s1 + s2) / 4), FeatureRanking.cohensD(x, y), 1e-12);
    }

    @Test
    void cohensDEdgeCases() {
        assertEquals(0, FeatureRanking.cohensD(new double[] {0, 0}, new double[] {0, 0, 0}));
        assertEquals(Double.POSITIVE_INFINITY, FeatureRanking.cohensD(new double[] {2, 2}, new double[] {0, 0}));
        assertEquals(Double.NEGATIVE_INFINITY, FeatureRanking.cohensD(new double[] {0, 0}, new double[] {2, 2}));
        assertThrows(IllegalArgumentException.class, () -> FeatureRanking.cohensD(new double[] {1}, new double[] {}));
    }

    @Test
    void statsAreTheEncodedActivationsSummedPerFeature() throws Exception {
        Crosscoder cc = SteeringTest.crosscoder(16, 24, 4, 3);
        int n = 37;
        float[] rows = SteeringTest.gaussian(n * 2 * 16, 5);
        FeatureRanking.GroupStats s = FeatureRanking.stats(cc, new ArrayActivations(rows, n, 16, "test"), 8, 1);
        float[] dense = new BatchStep(cc, 1).encode(rows.clone(), n).features().toDense();
        int active = 0;
        for (int j = 0; j < 24; j++) {
            double[] col = new double[n];
            long on = 0;
            for (int r = 0; r < n; r++) {
                col[r] = dense[r * 24 + j];
                if (col[r] > 0) on++;
            }
            double mean = java.util.Arrays.stream(col).average().orElseThrow();
            double var = java.util.Arrays.stream(col).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
            assertEquals(mean, s.mean(j), 1e-5, "mean of feature " + j);
            assertEquals(var, s.variance(j), 1e-4, "variance of feature " + j);
            assertEquals(on, s.active()[j]);
            active += on;
        }
        assertEquals(4L * n, active, "TopK keeps k = 4 active features per row");
    }

    @Test
    void rankSortsARangeOfFeaturesByCohensD() {
        // 3 features, 4 rows per set: sums chosen so that feature 1 separates best, feature 2 is reversed
        FeatureRanking.GroupStats pos = stats(4, new double[] {4, 8, 0}, new double[] {6, 18, 0});
        FeatureRanking.GroupStats neg = stats(4, new double[] {2, 0, 4}, new double[] {2, 0, 6});
        List<FeatureRanking.Ranked> r = FeatureRanking.rank(pos, neg, 0, 3);
        assertEquals(List.of(1, 0, 2), r.stream().map(FeatureRanking.Ranked::feature).toList());
        assertTrue(r.get(0).cohensD() > r.get(1).cohensD() && r.get(1).cohensD() > 0 && r.get(2).cohensD() < 0);
        assertEquals(2.0, r.get(0).meanPositive());
        assertEquals(List.of(2), FeatureRanking.rank(pos, neg, 2, 3).stream().map(FeatureRanking.Ranked::feature).toList());
        assertThrows(IllegalArgumentException.class, () -> FeatureRanking.rank(pos, neg, 2, 4));
    }

    private static FeatureRanking.GroupStats stats(int rows, double[] sum, double[] sumSq) {
        long[] active = new long[sum.length];
        for (int j = 0; j < sum.length; j++) active[j] = sum[j] > 0 ? rows : 0;
        return new FeatureRanking.GroupStats(rows, sum, sumSq, active);
    }
}
