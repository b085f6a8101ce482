package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dfcspark.dfc.sweep.VariantMetrics;
import org.junit.jupiter.api.Test;

/** The sweep's metrics sum the mean-difference decomposition over the rows they encode for the FVU, once. */
class MeanDifferenceTest {

    @Test
    void theSweepSharesAreTheDiagnosticsDecompositionAndAddUpToTheMeanDifference() throws IOException {
        int d = 8, rows = 53;
        Crosscoder cc = new Crosscoder(CrosscoderConfig.paper(d, 64, 4, 6, 6));
        Init.weights(cc, Init.Weights.PAPER, 3);
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[rows * 2 * d];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < d; i++) {
                float base = (float) r.nextGaussian();
                x[b * 2 * d + i] = base + 0.5f + 0.1f * i; // A: B plus a shift, so the mean difference is not 0
                x[b * 2 * d + d + i] = base;
            }
        }
        ArrayActivations data = new ArrayActivations(x, rows, d, "shifted pairs");

        // batches of 7 and 16 rows (each with a partial last batch), 1 and 2 threads: the same decomposition
        VariantMetrics m = VariantMetrics.measure(cc, data, 7, 1);
        Diagnostics.Decomposition dec = Diagnostics.meanDifference(cc, data, 16, 2);
        assertEquals(dec.dataNorm(), m.diffNorm(), 1e-12 * dec.dataNorm());
        double total = 0;
        for (String part : VariantMetrics.PARTS) {
            assertEquals(dec.carried(part) / dec.dataNorm(), m.shares().get(part), 1e-9, part);
            total += m.shares().get(part);
        }
        assertEquals(1.0, total, 1e-9, "the six parts add up to the data's mean difference");
        assertEquals(rows, m.rows());
    }
}
