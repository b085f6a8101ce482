package org.dfcspark.toolcall.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsTest {

    @Test
    void wilsonIntervalsMatchTheClosedForm() {
        // Reference values computed with the textbook formula in Python (z = 1.959963984540054).
        Interval a = RateStats.wilson(8, 40);
        assertEquals(0.2, a.estimate(), 1e-15);
        assertEquals(0.10499989725437704, a.lower(), 1e-12);
        assertEquals(0.347573063463995, a.upper(), 1e-12);
        Interval zero = RateStats.wilson(0, 40);
        assertEquals(0.0, zero.lower(), 0.0);
        assertEquals(0.08762160119728664, zero.upper(), 1e-12);
        Interval all = RateStats.wilson(40, 40);
        assertEquals(0.9123783988027135, all.lower(), 1e-12);
        assertEquals(1.0, all.upper(), 0.0);   // clipped to [0, 1]
        Interval mid = RateStats.wilson(26, 40);
        assertEquals(0.49505880837257693, mid.lower(), 1e-12);
        assertEquals(0.7786547112682372, mid.upper(), 1e-12);
    }

    @Test
    void studentTQuantilesMatchTables() {
        // Reference: mpmath (30 digits) root of the regularized-incomplete-beta CDF.
        assertEquals(12.7062047361747046, StudentT.quantile(0.975, 1), 1e-10);
        assertEquals(2.26215716279820554, StudentT.quantile(0.975, 9), 1e-10);
        assertEquals(2.02269092003676114, StudentT.quantile(0.975, 39), 1e-10);
        assertEquals(1.98397151852355229, StudentT.quantile(0.975, 100), 1e-10);
        assertEquals(-2.26215716279820554, StudentT.quantile(0.025, 9), 1e-10);
        assertEquals(0.5, StudentT.cdf(0, 7), 1e-15);
    }

    @Test
    void pairedDifferenceGivesPairedTAndSeededBootstrap() {
        double[] patched = {1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1};
        double[] clean = {0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1};
        PairedDifference d = PairedDifference.of(patched, clean, 5000, 42);
        assertEquals(12, d.n());
        assertEquals(0.5, d.meanDiff(), 1e-15);
        assertEquals(0.5222329678670935, d.sdDiff(), 1e-12);
        assertEquals(0.1681890024938429, d.pairedT().lower(), 1e-9);
        assertEquals(0.8318109975061572, d.pairedT().upper(), 1e-9);
        // Bootstrap: reproducible for a seed, brackets the mean, stays inside the possible range of d's mean.
        PairedDifference again = PairedDifference.of(patched, clean, 5000, 42);
        assertEquals(d.bootstrap(), again.bootstrap());
        assertTrue(d.bootstrap().lower() < 0.5 && d.bootstrap().upper() > 0.5);
        assertTrue(d.bootstrap().lower() >= 0 && d.bootstrap().upper() <= 1);
        assertTrue(d.bootstrap().upper() - d.bootstrap().lower() > 0.3);
    }

    @Test
    void booleanOutcomesArePairedAsZeroOne() {
        boolean[] a = {true, true, false, true};
        boolean[] b = {false, true, false, false};
        PairedDifference d = PairedDifference.of(a, b, 100, 1);
        assertEquals(0.5, d.meanDiff(), 1e-15);
    }

    @Test
    void percentileInterpolatesLikeNumpy() {
        double[] sorted = {1, 2, 3, 4};
        assertEquals(1.075, PairedDifference.percentile(sorted, 0.025), 1e-12);
        assertEquals(3.925, PairedDifference.percentile(sorted, 0.975), 1e-12);
    }

    @Test
    void meanStdUsesTheSampleStandardDeviation() {
        MeanStd ms = MeanStd.of(new double[] {2, 4, 4, 4, 5, 5, 7, 9});
        assertEquals(5.0, ms.mean(), 1e-15);
        assertEquals(Math.sqrt(32.0 / 7), ms.std(), 1e-12);
        assertEquals("+5.00 ± 2.14 (n=8)", ms.toString());
    }

    @Test
    void badInputsAreRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RateStats.wilson(0, 0));
        assertEquals("a rate needs n > 0 trials, got n = 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RateStats.wilson(5, 4));
        assertEquals("successes must be in [0, n], got k = 5, n = 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PairedDifference.of(new double[] {1, 0}, new double[] {1}, 10, 1));
        assertEquals("paired conditions need the same prompts: 2 vs 1 values", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PairedDifference.of(new double[] {1}, new double[] {1}, 10, 1));
        assertEquals("a paired difference needs at least 2 prompts, got 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MeanStd.of(new double[0]));
        assertEquals("mean ± std of no values", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StudentT.quantile(1.0, 3));
    }
}
