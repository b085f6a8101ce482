package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.dfcspark.toolcall.stats.RateStats;
import org.junit.jupiter.api.Test;

/** A condition's rate with its Wilson interval and its paired difference from clean, by hand. */
class ConditionStatsTest {
    @Test
    void rateAndPairedDifferenceByHand() {
        boolean[] steered = {true, true, false, false, true}, clean = {false, true, false, false, false};
        ConditionStats s = ConditionStats.of("steer/B/add/a_exclusive/f1/beta=4/side=A/last", steered, clean, 42);
        assertEquals(5, s.n());
        // Wilson, k = 3, n = 5, z = 1.959964: centre (0.6 + z²/10) / (1 + z²/5), half z·sqrt(0.24/5 + z²/100) / (1 + z²/5)
        double z = RateStats.Z95, den = 1 + z * z / 5, centre = (0.6 + z * z / 10) / den, half = z * Math.sqrt(0.24 / 5 + z * z / 100) / den;
        assertEquals(0.6, s.rate().estimate(), 1e-12);
        assertEquals(centre - half, s.rate().lower(), 1e-12);
        assertEquals(centre + half, s.rate().upper(), 1e-12);
        // differences {1, 0, 0, 0, 1}: mean 0.4, sd sqrt(0.3), t(0.975, 4) = 2.7764451051977987
        double h = 2.7764451051977987 * Math.sqrt(0.3) / Math.sqrt(5);
        assertEquals(0.4, s.vsClean().meanDiff(), 1e-12);
        assertEquals(0.4 - h, s.vsClean().pairedT().lower(), 1e-9);
        assertEquals(0.4 + h, s.vsClean().pairedT().upper(), 1e-9);
        assertTrue(s.vsClean().bootstrap().lower() <= 0.4 && s.vsClean().bootstrap().upper() >= 0.4);
        assertNull(ConditionStats.of("one", new boolean[] {true}, new boolean[] {false}, 1).vsClean(), "no interval from one prompt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConditionStats.of("k", new boolean[] {true, false}, new boolean[] {true}, 1));
        assertEquals("k: 2 verdicts but 1 clean verdicts (the difference is paired by prompt)", e.getMessage());
    }
}
