package org.dfcspark.py;

import java.math.BigInteger;
import java.util.regex.Pattern;

/** Python's {@code int(str)} and {@code float(str)} (surrounding whitespace, underscores, Unicode digits). */
public final class PyNumbers {
    private static final Pattern INT = Pattern.compile("[+-]?[0-9](_?[0-9])*");
    private static final Pattern FLOAT = Pattern.compile(
            "[+-]?(([0-9](_?[0-9])*)(\\.([0-9](_?[0-9])*)?)?|\\.[0-9](_?[0-9])*)([eE][+-]?[0-9](_?[0-9])*)?");
    private static final Pattern SPECIAL = Pattern.compile("[+-]?(inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    private PyNumbers() {}

    /** {@code int(s)}; ValueError when Python's would raise. */
    public static Object parseInt(String s) {
        String t = asciiDigits(PyStrings.strip(s));
        if (!INT.matcher(t).matches()) {
            throw PyError.valueError("invalid literal for int() with base 10: " + PyRepr.repr(s));
        }
        String digits = t.replace("_", "");
        if (digits.replaceFirst("^[+-]", "").length() > 4300) {
            throw PyError.valueError("Exceeds the limit (4300 digits) for integer string conversion");
        }
        return PyValues.normalizeInt(new BigInteger(digits.startsWith("+") ? digits.substring(1) : digits));
    }

    /** {@code float(s)}; ValueError when Python's would raise. */
    public static double parseFloat(String s) {
        String t = asciiDigits(PyStrings.strip(s));
        if (SPECIAL.matcher(t).matches()) {
            boolean negative = t.startsWith("-");
            String word = t.replaceFirst("^[+-]", "").toLowerCase(java.util.Locale.ROOT);
            if (word.equals("nan")) return Double.NaN;
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!FLOAT.matcher(t).matches()) {
            throw PyError.valueError("could not convert string to float: " + PyRepr.repr(s));
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    /** Python accepts any Unicode decimal digit in int()/float() and reads it as its ASCII value. */
    private static String asciiDigits(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp > 127 && Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER) {
                sb.append((char) ('0' + Character.digit(cp, 10)));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }
}
