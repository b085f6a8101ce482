package org.dfcspark.data;

/**
 * IEEE half (F16) and bfloat16 (BF16) codecs. Widening is exact; narrowing rounds to nearest even,
 * as torch's {@code .half()} / {@code .bfloat16()} do (Java 17 has no Float.floatToFloat16).
 */
public final class HalfFloats {
    private HalfFloats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (short) ((x >>> 16) | 0x0040); // quiet NaN, keep sign
        int rounding = 0x7FFF + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int absBits = x & 0x7FFFFFFF;
        if (absBits > 0x7F800000) return (short) (sign | 0x7E00); // NaN
        if (absBits >= 0x477FF000) return (short) (sign | 0x7C00); // rounds to >= 65520: infinity
        float abs = Float.intBitsToFloat(absBits);
        if (absBits < 0x38800000) { // below the smallest normal half (2^-14): subnormal or zero
            int m = Math.round(abs * 0x1p24f); // Math.round is half-up; fix ties to even below
            float exact = abs * 0x1p24f;
            if (exact - Math.floor(exact) == 0.5 && (m & 1) == 1) m -= 1;
            return (short) (sign | m);
        }
        int exp = ((absBits >>> 23) & 0xFF) - 112;
        int mant = absBits & 0x7FFFFF;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half += 1; // carries into exponent correctly
        return (short) (sign | half);
    }
}
