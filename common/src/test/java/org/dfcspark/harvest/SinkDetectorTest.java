package org.dfcspark.harvest;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SinkDetectorTest {
    @Test
    void flagsNormsAboveTheFactorTimesTheMedian() {
        float[] norms = {900f, 8f, 10f, 12f, 9f};
        assertEquals(10.0, SinkDetector.median(norms));
        assertArrayEquals(new boolean[] {true, false, false, false, false}, new SinkDetector(50).sinks(norms));
        assertArrayEquals(new boolean[5], new SinkDetector(100).sinks(norms));
        assertEquals(9.5, SinkDetector.median(new float[] {8f, 9f, 10f, 900f}));
    }

    @Test
    void zeroOrInfiniteFactorDisablesDetection() {
        float[] norms = {1e6f, 1f, 1f};
        assertFalse(new SinkDetector(0).enabled());
        assertArrayEquals(new boolean[3], new SinkDetector(0).sinks(norms));
        assertArrayEquals(new boolean[3], new SinkDetector(Double.POSITIVE_INFINITY).sinks(norms));
        assertThrows(IllegalArgumentException.class, () -> new SinkDetector(-1));
    }
}
