package org.dfcspark.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path tmp;

    @Test
    void roundTripAllWrittenDtypes() throws IOException {
        float[] v = {1.5f, -2.25f, 0f, 3.1415927f, 65504f, -1e-7f};
        Path f = tmp.resolve("t.safetensors");
        new SafeTensorsWriter()
                .metadata("format", "pt")
                .addF32("a", v, 2, 3)
                .addFloats("h", DType.F16, v, 6)
                .addFloats("b", DType.BF16, v, 3, 2)
                .addI64("ids", new long[] {7, -1, 1L << 40}, 3)
                .write(f);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(java.util.List.of("a", "h", "b", "ids"), st.names());
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(v, st.floats("a"));
            assertArrayEquals(new long[] {2, 3}, st.info("a").shape());
            float[] h = st.floats("h");
            float[] b = st.floats("b");
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], h[i], Math.abs(v[i]) * 1e-3 + 6e-8, "f16 " + i);
                assertEquals(v[i], b[i], Math.abs(v[i]) * 8e-3, "bf16 " + i);
            }
            assertArrayEquals(new long[] {7, -1, 1L << 40}, st.longs("ids"));
            float[] direct = new float[6];
            st.floatsDirect("a").get(direct);
            assertArrayEquals(v, direct);
        }
    }

    @Test
    void readsTheBundledCheckpoint() throws IOException {
        try (SafeTensors st = SafeTensors.open(ProjectPaths.data("models/qwen2-tiny/model.safetensors"))) {
            assertEquals(DType.F32, st.info("model.embed_tokens.weight").dtype());
            assertArrayEquals(new long[] {512, 64}, st.info("model.embed_tokens.weight").shape());
            assertEquals(512 * 64, st.floats("model.embed_tokens.weight").length);
        }
    }

    @Test
    void halfFloatCodecsMatchKnownBitPatterns() {
        assertEquals((short) 0x3C00, HalfFloats.floatToF16(1f));
        assertEquals((short) 0xC000, HalfFloats.floatToF16(-2f));
        assertEquals((short) 0x7BFF, HalfFloats.floatToF16(65504f));
        assertEquals((short) 0x7C00, HalfFloats.floatToF16(65520f)); // rounds to infinity
        assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1p-24f)); // smallest subnormal
        assertEquals((short) 0x0000, HalfFloats.floatToF16(0x1p-25f)); // tie -> even (0)
        assertEquals((short) 0x3C00, HalfFloats.floatToF16(1f + 0x1p-11f)); // tie -> even
        assertEquals((short) 0x3C01, HalfFloats.floatToF16(1f + 0x1p-11f + 0x1p-20f));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 1));
        assertEquals((short) 0x3F80, HalfFloats.floatToBf16(1f));
        assertEquals((short) 0x3F80, HalfFloats.floatToBf16(1f + 0x1p-8f)); // tie -> even
        assertEquals((short) 0x3F81, HalfFloats.floatToBf16(1f + 0x1p-8f + 0x1p-20f));
        // every half value survives a round trip through float
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloats.f16ToFloat((short) bits);
            if (!Float.isNaN(f)) assertEquals((short) bits, HalfFloats.floatToF16(f), "f16 bits " + bits);
        }
    }

    // ---- bad input: each gets a one-line SafeTensorsFormatException naming the file ----

    private Path raw(String name, String header, int dataBytes, long declaredHeaderLen) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLen).put(h);
        Path f = tmp.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private Path raw(String name, String header, int dataBytes) throws IOException {
        return raw(name, header, dataBytes, header.getBytes(StandardCharsets.UTF_8).length);
    }

    private void assertRejected(Path f, String fragment) {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> {
            try (SafeTensors st = SafeTensors.open(f)) {
                for (String n : st.names()) st.floats(n);
            }
        });
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingFile() {
        assertRejected(tmp.resolve("nope.safetensors"), "file not found");
    }

    @Test
    void shorterThanHeaderLength() throws IOException {
        Path f = tmp.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertRejected(f, "shorter than the 8-byte header length");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        assertRejected(raw("beyond.safetensors", "{}", 0, 4096), "beyond the end of the file");
    }

    @Test
    void headerOver100MB() throws IOException {
        assertRejected(raw("huge.safetensors", "{}", 0, 200L * 1024 * 1024), "100 MB");
        assertRejected(raw("neg.safetensors", "{}", 0, -5), "100 MB");
    }

    @Test
    void badJson() throws IOException {
        assertRejected(raw("json.safetensors", "{\"a\": {\"dtype\": ", 0), "not valid JSON");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        assertRejected(raw("range.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "out of range");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRejected(raw("overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
    }

    @Test
    void sizeDisagreesWithShape() throws IOException {
        assertRejected(raw("size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a'");
    }

    @Test
    void unsupportedDtype() throws IOException {
        assertRejected(raw("dtype.safetensors", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2),
                "unsupported dtype F8_E4M3");
    }

    @Test
    void unknownTensorName() throws IOException {
        Path f = tmp.resolve("ok.safetensors");
        new SafeTensorsWriter().addF32("a", new float[] {1}, 1).write(f);
        try (SafeTensors st = SafeTensors.open(f)) {
            SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> st.floats("b"));
            assertTrue(e.getMessage().contains("no tensor named 'b'"));
        }
    }
}
