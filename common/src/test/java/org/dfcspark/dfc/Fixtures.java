package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.dfcspark.data.SafeTensors;

/** Reads the oracle fixtures (copied from the shared fixture set into test resources) and compares arrays. */
final class Fixtures {
    private Fixtures() {}

    static Path resource(String name) {
        try {
            var url = Fixtures.class.getResource("/dfc/" + name);
            if (url == null) throw new IllegalStateException("missing test resource dfc/" + name);
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** All float tensors of one fixture file, by name. */
    static final class Case implements AutoCloseable {
        private final SafeTensors st;

        Case(String file) {
            try {
                st = SafeTensors.open(resource(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        float[] get(String name) {
            try {
                return st.floats(name);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Slice t of a tensor whose first axis is stacked (e.g. batches[t]). */
        float[] slice(String name, int t) {
            float[] all = get(name);
            try {
                int per = (int) (all.length / st.info(name).shape()[0]);
                float[] out = new float[per];
                System.arraycopy(all, t * per, out, 0, per);
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            st.close();
        }
    }

    /** The reference stores dec_W as (2, D, d); the paper (and we) use (D, 2, d). */
    static float[] layerMajorToFeatureMajor(float[] decW, int dict, int d) {
        float[] out = new float[decW.length];
        for (int m = 0; m < 2; m++) for (int j = 0; j < dict; j++) System.arraycopy(decW, (m * dict + j) * d, out, (j * 2 + m) * d, d);
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double rtol, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) expected[i] - actual[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(err <= allowed) && (at < 0 || err - allowed > worst)) {
                worst = err - allowed;
                at = i;
            }
        }
        if (at >= 0) fail(what + ": index " + at + " expected " + expected[at] + " got " + actual[at] + " (over tolerance by " + worst + ")");
    }

    static void assertClose(double expected, double actual, double rtol, double atol, String what) {
        assertClose(new float[] {(float) expected}, new float[] {(float) actual}, rtol, atol, what);
    }
}
