package org.dfcspark.py;

import java.util.Locale;

/** Python {@code str} methods whose Java look-alikes differ (whitespace set, lower-casing, split, count). */
public final class PyStrings {
    /**
     * Python's whitespace ({@code str.isspace()}, and {@code \s} in a str regex) as a Java regex character
     * class: Java's {@code \s} misses U+001C..U+001F, U+0085, U+00A0 and the Unicode spaces.
     */
    public static final String SPACE_CLASS =
            "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

    /** Python's {@code \\w} in a str regex (letters, numbers, underscore). */
    public static final String WORD_CLASS = "[\\p{L}\\p{N}_]";
    /** Python's {@code \\d} in a str regex (any Unicode decimal digit). */
    public static final String DIGIT_CLASS = "\\p{Nd}";

    private PyStrings() {}

    /** {@code s[start:end]} with Python's negative indices and clamping, by code points. */
    public static String slice(String s, int start, int end) {
        int[] cps = s.codePoints().toArray();
        int n = cps.length;
        int a = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
        int b = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
        return b <= a ? "" : new String(cps, a, b - a);
    }

    /** {@code s.strip(chars)}: removes any of {@code chars} from both ends. */
    public static String strip(String s, String chars) {
        int a = 0;
        int b = s.length();
        while (a < b && chars.indexOf(s.charAt(a)) >= 0) a++;
        while (b > a && chars.indexOf(s.charAt(b - 1)) >= 0) b--;
        return s.substring(a, b);
    }

    /** {@code c.isspace()} for one UTF-16 unit (every Python whitespace character is in the BMP). */
    public static boolean isSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** {@code s.strip()}. */
    public static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isSpace(s.charAt(a))) a++;
        while (b > a && isSpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** {@code s.lower()} (locale-independent full Unicode lower-casing, like Python's). */
    public static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** {@code s.count(sub)} for a non-empty {@code sub}: non-overlapping occurrences. */
    public static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    /** {@code s.split(sep)[0]}: the text before the first {@code sep}, or all of it. */
    public static String beforeFirst(String s, String sep) {
        int i = s.indexOf(sep);
        return i < 0 ? s : s.substring(0, i);
    }

    /** {@code s.split(sep)[-1]}: the text after the last {@code sep}, or all of it. */
    public static String afterLast(String s, String sep) {
        int i = s.lastIndexOf(sep);
        return i < 0 ? s : s.substring(i + sep.length());
    }

    /** {@code s.split(sep)[1]}: the text between the first and the second {@code sep}; IndexError if absent. */
    public static String secondPiece(String s, String sep) {
        int i = s.indexOf(sep);
        if (i < 0) throw new PyError("IndexError", "list index out of range");
        return beforeFirst(s.substring(i + sep.length()), sep);
    }
}
