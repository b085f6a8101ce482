package org.dfcspark.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Map;

/**
 * JSON the way Python writes and reads it: {@link #dumps} is {@code json.dumps(x, ensure_ascii=False)}
 * (separators {@code ", "} and {@code ": "}, key order kept, non-ASCII kept, floats as Python's
 * {@code repr}); {@link #parse} yields plain Java values (LinkedHashMap, ArrayList, Integer/Long/
 * BigInteger for JSON integers, Double for JSON reals) so the int/float distinction survives a round trip.
 * Chat templates (HF's {@code tojson}) and tool schemas go through here so renders are byte-exact.
 */
public final class PyJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private PyJson() {}

    /** Parses JSON text into plain Java values; throws IllegalArgumentException on malformed JSON. */
    public static Object parse(String json) {
        try {
            return narrowInts(MAPPER.readValue(json, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code json.dumps(value, ensure_ascii=False)}: one line, ", " and ": " separators. */
    public static String dumps(Object value) {
        return dumps(value, null);
    }

    /**
     * {@code json.dumps(value, ensure_ascii=False, indent=indent)}; with an indent Python's item
     * separator becomes "," (the newline carries the spacing).
     */
    public static String dumps(Object value, Integer indent) {
        StringBuilder sb = new StringBuilder();
        new Writer(indent, false).write(sb, value, 0);
        return sb.toString();
    }

    /** Python's default {@code json.dumps(value)}: like {@link #dumps(Object)} but every non-ASCII character as \\uXXXX. */
    public static String dumpsAscii(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(null, true).write(sb, value, 0);
        return sb.toString();
    }

    // Integers come back as BigInteger (no overflow); shrink them to Integer/Long when they fit.
    @SuppressWarnings("unchecked")
    private static Object narrowInts(Object v) {
        if (v instanceof BigInteger b) {
            if (b.bitLength() < 32) return b.intValue();
            if (b.bitLength() < 64) return b.longValue();
            return b;
        }
        if (v instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).replaceAll((k, x) -> narrowInts(x));
            return m;
        }
        if (v instanceof java.util.List<?> l) {
            ((java.util.List<Object>) l).replaceAll(PyJson::narrowInts);
            return l;
        }
        return v;
    }

    /** One json.dumps call's settings: indent (null = one line) and ensure_ascii. */
    private record Writer(Integer indent, boolean ensureAscii) {

        void write(StringBuilder sb, Object v, int depth) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof CharSequence s) {
                writeString(sb, s.toString());
            } else if (v instanceof Boolean b) {
                sb.append(b ? "true" : "false");
            } else if (v instanceof Double || v instanceof Float) {
                sb.append(floatRepr(((Number) v).doubleValue()));
            } else if (v instanceof BigDecimal d) {
                sb.append(floatRepr(d.doubleValue()));
            } else if (v instanceof Number n) {
                sb.append(n.toString());
            } else if (v instanceof Map<?, ?> m) {
                writeContainer(sb, '{', '}', m.entrySet(), depth, (e, b) -> {
                    Map.Entry<?, ?> en = (Map.Entry<?, ?>) e;
                    writeString(b, String.valueOf(en.getKey()));
                    b.append(": ");
                    write(b, en.getValue(), depth + 1);
                });
            } else if (v instanceof Iterable<?> it) {
                writeContainer(sb, '[', ']', it, depth, (x, b) -> write(b, x, depth + 1));
            } else if (v instanceof Object[] arr) {
                writeContainer(sb, '[', ']', java.util.Arrays.asList(arr), depth, (x, b) -> write(b, x, depth + 1));
            } else {
                throw new IllegalArgumentException("Object of type " + v.getClass().getSimpleName()
                        + " is not JSON serializable");
            }
        }

        private void writeContainer(StringBuilder sb, char open, char close, Iterable<?> items, int depth,
                                    java.util.function.BiConsumer<Object, StringBuilder> item) {
            sb.append(open);
            boolean first = true;
            for (Object x : items) {
                if (!first) sb.append(indent == null ? ", " : ",");
                if (indent != null) newline(sb, depth + 1);
                item.accept(x, sb);
                first = false;
            }
            if (!first && indent != null) newline(sb, depth);
            sb.append(close);
        }

        private void newline(StringBuilder sb, int depth) {
            sb.append('\n');
            sb.append(" ".repeat(indent * depth));
        }

        /** Python's string escaping: '"', '\\' and control characters always; with ensure_ascii all of 0x7f and up. */
        private void writeString(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }

    /**
     * Python's {@code repr(float)}: the shortest decimal that reads back as the same double, in
     * fixed notation when the decimal exponent is in [-4, 16), else {@code 1e-05} / {@code 1.5e+16}.
     */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = null;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                shortest = r;
                break;
            }
        }
        BigDecimal r = shortest.stripTrailingZeros();
        String digits = r.unscaledValue().abs().toString();
        int decpt = digits.length() - r.scale(); // value = 0.digits * 10^decpt
        StringBuilder sb = new StringBuilder();
        if (d < 0) sb.append('-');
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits.substring(decpt));
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits.substring(1));
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            if (e.length() < 2) sb.append('0');
            sb.append(e);
        }
        return sb.toString();
    }
}
