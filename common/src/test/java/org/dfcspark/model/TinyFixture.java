package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.SafeTensors;

/** The qwen2-tiny oracle fixture (HF transformers references; see test resources qwen2-tiny/README.md). */
final class TinyFixture {
    static final double TOL = 1e-4;

    private TinyFixture() {}

    static Path f32Dir() {
        return ProjectPaths.data("models/qwen2-tiny");
    }

    static Path resource(String rel) {
        try {
            return Path.of(TinyFixture.class.getResource("/qwen2-tiny/" + rel).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path bf16Dir() {
        return resource("model-bf16");
    }

    static Path shardedDir() {
        return resource("model-sharded");
    }

    private static SafeTensors expected;

    static synchronized SafeTensors expected() {
        try {
            if (expected == null) expected = SafeTensors.open(resource("expected.safetensors"));
            return expected;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(String name) {
        try {
            return expected().floats(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long[] shape(String name) {
        try {
            return expected().info(name).shape();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(String name) {
        try {
            return Arrays.stream(expected().longs(name)).mapToInt(Math::toIntExact).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Slice [from, to) of a flat array (one entry of a stacked reference). */
    static float[] part(float[] all, int index, int size) {
        return Arrays.copyOfRange(all, index * size, (index + 1) * size);
    }

    /** max |a - b| <= 1e-4 and ||a - b|| / ||b|| <= 1e-4. */
    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double maxAbs = 0, diff2 = 0, norm2 = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            maxAbs = Math.max(maxAbs, d);
            diff2 += d * d;
            norm2 += (double) expected[i] * expected[i];
        }
        double rel = Math.sqrt(diff2 / Math.max(norm2, 1e-30));
        assertTrue(maxAbs <= TOL && rel <= TOL, what + ": max abs diff " + maxAbs + ", relative " + rel);
    }
}
