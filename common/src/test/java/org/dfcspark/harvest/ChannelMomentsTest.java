package org.dfcspark.harvest;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ChannelMomentsTest {
    @Test
    void matchesTwoPassStatisticsAndMergesExactly() {
        Random r = new Random(7);
        int n = 1000;
        int d = 5;
        float[][] x = new float[n][d];
        for (float[] row : x) for (int j = 0; j < d; j++) row[j] = (float) (100 + j + r.nextGaussian() * (j + 1));

        ChannelMoments all = new ChannelMoments(d);
        ChannelMoments left = new ChannelMoments(d);
        ChannelMoments right = new ChannelMoments(d);
        for (int i = 0; i < n; i++) {
            all.add(x[i]);
            (i < 313 ? left : right).add(x[i]);
        }
        ChannelMoments merged = new ChannelMoments(d).merge(left).merge(right);

        double normSum = 0;
        for (float[] row : x) {
            double s = 0;
            for (float v : row) s += (double) v * v;
            normSum += Math.sqrt(s);
        }
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (float[] row : x) mean += row[j];
            mean /= n;
            double var = 0;
            for (float[] row : x) var += (row[j] - mean) * (row[j] - mean);
            var /= n;
            assertEquals(mean, all.mean()[j], 1e-9);
            assertEquals(var, all.variance()[j], 1e-9 * var);
            assertEquals(mean, merged.mean()[j], 1e-9);
            assertEquals(var, merged.variance()[j], 1e-9 * var);
        }
        assertEquals(n, merged.count());
        assertEquals(normSum / n, merged.meanNorm(), 1e-9);
        assertEquals(normSum / n, all.meanNorm(), 1e-9);
    }

    @Test
    void emptyAndMismatchedInputs() {
        ChannelMoments m = new ChannelMoments(3);
        assertEquals(0, m.count());
        assertTrue(Double.isNaN(m.meanNorm()));
        m.merge(new ChannelMoments(3));
        assertEquals(0, m.count());
        assertThrows(IllegalArgumentException.class, () -> m.add(new float[2]));
        assertThrows(IllegalArgumentException.class, () -> m.merge(new ChannelMoments(4)));
    }
}
