package org.dfcspark.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ActivationCodecTest {
    private static final float[] V = {0f, -1.5f, 3.140625f, 1e-3f, -65504f, 7.25e4f, Float.MIN_NORMAL};

    @Test
    void f32RoundTripsExactlyAsLittleEndian() {
        byte[] blob = ActivationCodec.F32.encode(V);
        assertEquals(V.length * 4, blob.length);
        assertEquals(-1.5f, ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).getFloat(4));
        assertArrayEquals(V, ActivationCodec.F32.decode(blob, V.length));
    }

    @Test
    void f16AndBf16AreLittleEndianHalvesRoundedToNearest() {
        byte[] h = ActivationCodec.F16.encode(V);
        assertEquals(V.length * 2, h.length);
        // -1.5 in IEEE half is 0xBE00, stored low byte first.
        assertEquals((byte) 0x00, h[2]);
        assertEquals((byte) 0xBE, h[3]);
        float[] back = ActivationCodec.F16.decode(h, V.length);
        assertEquals(3.140625f, back[2]); // exactly representable
        assertEquals(1e-3f, back[3], 1e-3f * 1e-3f);
        assertEquals(Float.POSITIVE_INFINITY, back[5]); // 72500 is beyond the f16 range

        float[] bf = ActivationCodec.BF16.decode(ActivationCodec.BF16.encode(V), V.length);
        assertEquals(-1.5f, bf[1]);
        assertEquals(7.25e4f, bf[5], 7.25e4f / 128);
    }

    @Test
    void representableFlagsWhatWouldNotSurviveEncoding() {
        assertTrue(ActivationCodec.F16.representable(new float[] {65504f, -2f}));
        assertFalse(ActivationCodec.F16.representable(new float[] {7.25e4f}));
        assertTrue(ActivationCodec.BF16.representable(new float[] {7.25e4f}));
        assertTrue(ActivationCodec.F32.representable(new float[] {3e38f}));
        assertFalse(ActivationCodec.BF16.representable(new float[] {3.4e38f})); // rounds up to infinity in bf16
        for (ActivationCodec c : ActivationCodec.values()) {
            assertFalse(c.representable(new float[] {1f, Float.NaN}), c.id());
            assertFalse(c.representable(new float[] {Float.NEGATIVE_INFINITY}), c.id());
        }
    }

    @Test
    void wrongBlobLengthAndUnknownDtypeAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivationCodec.F16.decode(new byte[6], 4));
        assertEquals("activation blob of 6 bytes, expected 8 (4 x f16)", e.getMessage());
        assertEquals(ActivationCodec.BF16, ActivationCodec.parse("BF16"));
        assertThrows(IllegalArgumentException.class, () -> ActivationCodec.parse("f8"));
    }
}
