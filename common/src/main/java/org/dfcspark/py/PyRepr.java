package org.dfcspark.py;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code repr()} of JSON values, used where the originals put a repr into a message, and Python's
 * shortest round-trip float repr (Java 17's {@code Double.toString} is not always the shortest).
 */
public final class PyRepr {
    private PyRepr() {}

    public static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        append(sb, v);
        return sb.toString();
    }

    /** {@code str(v)}: a str is itself, everything else its repr. */
    public static String str(Object v) {
        return v instanceof String s ? s : repr(v);
    }

    private static void append(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("None");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (v instanceof Double d) {
            sb.append(floatRepr(d));
        } else if (PyValues.isInt(v)) {
            sb.append(v);
        } else if (v instanceof String s) {
            appendString(sb, s);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) sb.append(", ");
                append(sb, list.get(i));
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                append(sb, e.getKey());
                sb.append(": ");
                append(sb, e.getValue());
            }
            sb.append('}');
        } else {
            throw new IllegalArgumentException("not a Python JSON value: " + v.getClass().getName());
        }
    }

    /** {@code repr(str)}: single quotes unless the text holds {@code '} and no {@code "}. */
    private static void appendString(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (isPrintable(cp)) {
                sb.appendCodePoint(cp);
            } else if (cp < 0x100) {
                sb.append(String.format("\\x%02x", cp));
            } else if (cp < 0x10000) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.append(String.format("\\U%08x", cp));
            }
        });
        sb.append(quote);
    }

    /** {@code str.isprintable()} for one code point: not Cc, Cf, Cs, Co, Cn, Zl, Zp, or Zs other than space. */
    private static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                    Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /**
     * {@code repr(float)}: the shortest decimal that reads back as {@code d} (closest to {@code d} among the
     * shortest), fixed notation for decimal exponents in [-4, 16), else {@code d.ddde±XX}.
     */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0.0) return (1.0 / d < 0) ? "-0.0" : "0.0";
        String sign = d < 0 ? "-" : "";
        double abs = Math.abs(d);
        BigDecimal shortest = shortestRoundTrip(abs);
        BigDecimal stripped = shortest.stripTrailingZeros();
        String digits = stripped.unscaledValue().toString();
        int decpt = digits.length() - stripped.scale();
        String body;
        if (decpt <= -4 || decpt > 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            int exp = decpt - 1;
            body = mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        } else if (decpt <= 0) {
            body = "0." + "0".repeat(-decpt) + digits;
        } else if (decpt >= digits.length()) {
            body = digits + "0".repeat(decpt - digits.length()) + ".0";
        } else {
            body = digits.substring(0, decpt) + "." + digits.substring(decpt);
        }
        return sign + body;
    }

    private static BigDecimal shortestRoundTrip(double abs) {
        BigDecimal exact = new BigDecimal(abs);
        for (int precision = 1; precision <= 17; precision++) {
            // Only the two neighbours of d at this precision can read back as d; take the closer one.
            BigDecimal down = exact.round(new MathContext(precision, RoundingMode.FLOOR));
            BigDecimal up = exact.round(new MathContext(precision, RoundingMode.CEILING));
            boolean downOk = down.doubleValue() == abs;
            boolean upOk = up.doubleValue() == abs;
            if (downOk && upOk) {
                int cmp = exact.subtract(down).compareTo(up.subtract(exact));
                if (cmp != 0) return cmp < 0 ? down : up;
                return exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            }
            if (downOk) return down;
            if (upOk) return up;
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
    }
}
