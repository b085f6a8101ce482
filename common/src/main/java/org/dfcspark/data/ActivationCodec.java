package org.dfcspark.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Encoding of one activation vector as a little-endian binary blob, the {@code a}/{@code b} columns of the
 * activation store: {@code f16} (IEEE half, the default: what the paper stored), {@code bf16} or {@code f32}.
 * Python: {@code numpy.frombuffer(blob, '<f2')} / {@code '<f4'}; bf16 via {@code '<u2'} shifted left by 16.
 */
public enum ActivationCodec {
    F16(2), BF16(2), F32(4);

    private final int bytesPerValue;

    ActivationCodec(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    /** The name used on the command line and in manifests: f16, bf16, f32. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ActivationCodec parse(String s) {
        for (ActivationCodec c : values()) if (c.id().equals(s.trim().toLowerCase(Locale.ROOT))) return c;
        throw new IllegalArgumentException("unknown activation dtype '" + s + "' (expected f16, bf16 or f32)");
    }

    public byte[] encode(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F16 -> { for (float f : v) b.putShort(HalfFloats.floatToF16(f)); }
            case BF16 -> { for (float f : v) b.putShort(HalfFloats.floatToBf16(f)); }
            case F32 -> b.asFloatBuffer().put(v);
        }
        return b.array();
    }

    /** Decodes a blob of exactly {@code d} values; a wrong length is a corrupt row, reported with the expected size. */
    public float[] decode(byte[] blob, int d) {
        if (blob.length != d * bytesPerValue) {
            throw new IllegalArgumentException("activation blob of " + blob.length + " bytes, expected " + d * bytesPerValue
                    + " (" + d + " x " + id() + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[d];
        switch (this) {
            case F16 -> { for (int i = 0; i < d; i++) v[i] = HalfFloats.f16ToFloat(b.getShort()); }
            case BF16 -> { for (int i = 0; i < d; i++) v[i] = HalfFloats.bf16ToFloat(b.getShort()); }
            case F32 -> b.asFloatBuffer().get(v);
        }
        return v;
    }

    /**
     * Decodes {@code d} values from {@code blob} (little endian, from its position; the position is not moved) into
     * {@code out[offset..offset+d)}, without allocating: the training reader's hot path.
     */
    public void decodeInto(java.nio.ByteBuffer blob, int d, float[] out, int offset) {
        if (blob.remaining() != d * bytesPerValue) {
            throw new IllegalArgumentException("activation blob of " + blob.remaining() + " bytes, expected " + d * bytesPerValue
                    + " (" + d + " x " + id() + ")");
        }
        ByteBuffer b = blob.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = b.position();
        switch (this) {
            case F16 -> { for (int i = 0; i < d; i++) out[offset + i] = HalfFloats.f16ToFloat(b.getShort(p + 2 * i)); }
            case BF16 -> { for (int i = 0; i < d; i++) out[offset + i] = HalfFloats.bf16ToFloat(b.getShort(p + 2 * i)); }
            case F32 -> { for (int i = 0; i < d; i++) out[offset + i] = b.getFloat(p + 4 * i); }
        }
    }

    /**
     * True when every value survives encoding as a finite number. Float32 values beyond the f16 range
     * (|x| >= 65520) become infinities in f16: such rows are counted as overflow and not written.
     */
    public boolean representable(float[] v) {
        for (float f : v) {
            if (!Float.isFinite(f)) return false;
            if (this == F16 && Math.abs(f) >= 65520f) return false;
            if (this == BF16 && Float.isInfinite(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f)))) return false;
        }
        return true;
    }
}
