package org.dfcspark.py;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Python's {@code json.loads} / {@code json.dumps}, reproduced to the byte where the scorers depend on it.
 *
 * <p>Values are plain Java objects standing for Python values: {@code String} = str, {@code Long} or
 * {@code BigInteger} = int (a literal without {@code .}, {@code e}, {@code E}), {@code Double} = float,
 * {@code Boolean} = bool, {@code null} = None, {@code ArrayList} = list, {@code LinkedHashMap<String,Object>}
 * = dict (insertion order kept; a duplicate key keeps its first position and takes the last value).
 *
 * <p>What the decoder accepts is what CPython's C scanner accepts: {@code NaN}, {@code Infinity},
 * {@code -Infinity}; JSON whitespace is only space, tab, CR, LF; raw control characters inside strings are
 * rejected; lone surrogate escapes are kept; a leading BOM is an error. Every failure is a
 * {@link PyError} of type {@code JSONDecodeError} (or {@code ValueError} for an integer literal longer than
 * Python 3.11's 4300-digit limit, {@code RecursionError} past {@link #MAX_DEPTH} nested containers).
 */
public final class PythonJson {
    /** Nesting depth where CPython (default recursion limit 1000) gives up; approximate by nature. */
    public static final int MAX_DEPTH = 1000;
    private static final int MAX_INT_DIGITS = 4300;

    private final String s;
    private int depth;

    private PythonJson(String s) {
        this.s = s;
    }

    /** {@code json.loads(text)}. */
    public static Object loads(String text) {
        if (text.startsWith("\ufeff")) {
            throw error("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0);
        }
        PythonJson p = new PythonJson(text);
        int[] end = new int[1];
        Object value = p.scanOnce(skipWhitespace(text, 0), end);
        int after = skipWhitespace(text, end[0]);
        if (after != text.length()) throw error("Extra data", text, after);
        return value;
    }

    /**
     * {@link #loads} for data files (prompts' tools, gold calls, converted datasets): the same decoder, with integers
     * that fit narrowed to {@code Integer} (then {@code Long}, then {@code BigInteger}) and every decode failure an
     * {@link IllegalArgumentException} whose message starts with {@code "malformed JSON: "} (the data readers
     * quarantine the row with it). The one JSON reader for Python-produced data; write it back with {@link #dumps}.
     */
    public static Object parse(String json) {
        try {
            return narrowInts(loads(json));
        } catch (PyError e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Object narrowInts(Object v) {
        if (v instanceof Long l && l == l.intValue()) return l.intValue();
        if (v instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).replaceAll((k, x) -> narrowInts(x));
        } else if (v instanceof List<?> l) {
            ((List<Object>) l).replaceAll(PythonJson::narrowInts);
        }
        return v;
    }

    /**
     * {@code json.JSONDecoder().raw_decode(text, idx)}: decodes one value starting exactly at {@code idx}
     * (no leading whitespace skipped) and stores the index just past it in {@code end[0]}.
     */
    public static Object rawDecode(String text, int idx, int[] end) {
        return new PythonJson(text).scanOnce(idx, end);
    }

    /** Index of the first non-JSON-whitespace character at or after {@code i}. */
    public static int skipWhitespace(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            i++;
        }
        return i;
    }

    private Object scanOnce(int idx, int[] end) {
        if (idx >= s.length()) throw error("Expecting value", s, idx);
        char c = s.charAt(idx);
        switch (c) {
            case '"':
                return scanString(idx + 1, end);
            case '{':
                return enter(() -> scanObject(idx + 1, end));
            case '[':
                return enter(() -> scanArray(idx + 1, end));
            case 'n':
                if (s.startsWith("null", idx)) return constant(null, idx + 4, end);
                break;
            case 't':
                if (s.startsWith("true", idx)) return constant(Boolean.TRUE, idx + 4, end);
                break;
            case 'f':
                if (s.startsWith("false", idx)) return constant(Boolean.FALSE, idx + 5, end);
                break;
            case 'N':
                if (s.startsWith("NaN", idx)) return constant(Double.NaN, idx + 3, end);
                break;
            case 'I':
                if (s.startsWith("Infinity", idx)) return constant(Double.POSITIVE_INFINITY, idx + 8, end);
                break;
            case '-':
                if (s.startsWith("-Infinity", idx)) return constant(Double.NEGATIVE_INFINITY, idx + 9, end);
                break;
            default:
                break;
        }
        return scanNumber(idx, end);
    }

    private interface Scan {
        Object run();
    }

    private Object enter(Scan scan) {
        if (++depth > MAX_DEPTH) {
            throw new PyError("RecursionError", "maximum recursion depth exceeded while decoding a JSON document");
        }
        try {
            return scan.run();
        } finally {
            depth--;
        }
    }

    private static Object constant(Object value, int next, int[] end) {
        end[0] = next;
        return value;
    }

    /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?}, ASCII digits only (the C scanner's rule). */
    private Object scanNumber(int start, int[] end) {
        int i = start;
        int n = s.length();
        if (i < n && s.charAt(i) == '-') i++;
        if (i < n && s.charAt(i) >= '1' && s.charAt(i) <= '9') {
            while (i < n && isDigit(s.charAt(i))) i++;
        } else if (i < n && s.charAt(i) == '0') {
            i++;
        } else {
            throw error("Expecting value", s, start);
        }
        boolean isFloat = false;
        if (i + 1 < n && s.charAt(i) == '.' && isDigit(s.charAt(i + 1))) {
            i += 2;
            while (i < n && isDigit(s.charAt(i))) i++;
            isFloat = true;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int e = i + 1;
            if (e < n && (s.charAt(e) == '-' || s.charAt(e) == '+')) e++;
            int digitsStart = e;
            while (e < n && isDigit(s.charAt(e))) e++;
            if (e > digitsStart) {
                i = e;
                isFloat = true;
            }
        }
        String literal = s.substring(start, i);
        end[0] = i;
        if (isFloat) return Double.parseDouble(literal);
        int digits = literal.startsWith("-") ? literal.length() - 1 : literal.length();
        if (digits > MAX_INT_DIGITS) {
            throw PyError.valueError("Exceeds the limit (4300 digits) for integer string conversion: value has "
                    + digits + " digits; use sys.set_int_max_str_digits() to increase the limit");
        }
        return PyValues.normalizeInt(new BigInteger(literal));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String scanString(int begin, int[] end) {
        StringBuilder out = new StringBuilder();
        int i = begin;
        int n = s.length();
        while (true) {
            if (i >= n) throw error("Unterminated string starting at", s, begin - 1);
            char c = s.charAt(i);
            if (c == '"') {
                end[0] = i + 1;
                return out.toString();
            }
            if (c < 0x20) throw error("Invalid control character at", s, i);
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            i++;
            if (i >= n) throw error("Unterminated string starting at", s, begin - 1);
            char esc = s.charAt(i);
            switch (esc) {
                case '"': out.append('"'); break;
                case '\\': out.append('\\'); break;
                case '/': out.append('/'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u': {
                    int u = hex4(i + 1, i - 1);
                    int afterHex = i + 5;
                    // A high surrogate followed by an escaped low surrogate is one code point; anything
                    // else (lone surrogates included) is kept as it is, as CPython's scanner does.
                    if (u >= 0xd800 && u <= 0xdbff && afterHex + 6 < n
                            && s.charAt(afterHex) == '\\' && s.charAt(afterHex + 1) == 'u') {
                        int low = hex4(afterHex + 2, afterHex);
                        if (low >= 0xdc00 && low <= 0xdfff) {
                            out.append((char) u).append((char) low);
                            i = afterHex + 6;
                            continue;
                        }
                    }
                    out.append((char) u);
                    i = afterHex;
                    continue;
                }
                default:
                    throw error("Invalid \\escape", s, i - 1);
            }
            i++;
        }
    }

    private int hex4(int at, int escapeStart) {
        if (at + 4 > s.length()) throw error("Invalid \\uXXXX escape", s, escapeStart);
        int v = 0;
        for (int k = at; k < at + 4; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0 || s.charAt(k) > 'f') throw error("Invalid \\uXXXX escape", s, escapeStart);
            v = v * 16 + d;
        }
        return v;
    }

    private Map<String, Object> scanObject(int idx, int[] end) {
        Map<String, Object> obj = new LinkedHashMap<>();
        int i = skipWhitespace(s, idx);
        if (i < s.length() && s.charAt(i) == '}') {
            end[0] = i + 1;
            return obj;
        }
        while (true) {
            if (i >= s.length() || s.charAt(i) != '"') {
                throw error("Expecting property name enclosed in double quotes", s, i);
            }
            String key = scanString(i + 1, end);
            i = skipWhitespace(s, end[0]);
            if (i >= s.length() || s.charAt(i) != ':') throw error("Expecting ':' delimiter", s, i);
            i = skipWhitespace(s, i + 1);
            Object value = scanOnce(i, end);
            obj.put(key, value);
            i = skipWhitespace(s, end[0]);
            if (i < s.length() && s.charAt(i) == '}') {
                end[0] = i + 1;
                return obj;
            }
            if (i >= s.length() || s.charAt(i) != ',') throw error("Expecting ',' delimiter", s, i);
            i = skipWhitespace(s, i + 1);
        }
    }

    private List<Object> scanArray(int idx, int[] end) {
        List<Object> list = new ArrayList<>();
        int i = skipWhitespace(s, idx);
        if (i < s.length() && s.charAt(i) == ']') {
            end[0] = i + 1;
            return list;
        }
        while (true) {
            list.add(scanOnce(i, end));
            i = skipWhitespace(s, end[0]);
            if (i < s.length() && s.charAt(i) == ']') {
                end[0] = i + 1;
                return list;
            }
            if (i >= s.length() || s.charAt(i) != ',') throw error("Expecting ',' delimiter", s, i);
            i = skipWhitespace(s, i + 1);
        }
    }

    /** A JSONDecodeError with Python's message format: {@code msg: line L column C (char P)}. */
    private static PyError error(String msg, String doc, int pos) {
        int line = 1;
        int lastNewline = -1;
        for (int k = 0; k < pos && k < doc.length(); k++) {
            if (doc.charAt(k) == '\n') {
                line++;
                lastNewline = k;
            }
        }
        int column = pos - lastNewline;
        return new PyError("JSONDecodeError", msg + ": line " + line + " column " + column + " (char " + pos + ")");
    }

    // ------------------------------------------------------------------------------------------ dumps

    /**
     * {@code json.dumps(value, ensure_ascii=False)}: separators {@code ", "} and {@code ": "}, key order kept,
     * floats as Python's repr ({@code NaN}/{@code Infinity} literals), ints exact. Lone surrogates are escaped
     * so that the result is valid UTF-16 text.
     */
    public static String dumps(Object value) {
        return dumps(value, null);
    }

    /**
     * {@code json.dumps(value, ensure_ascii=False, indent=indent)} (HF's {@code tojson}); with an indent
     * Python's item separator becomes {@code ","} (the newline carries the spacing). {@code null} = one line.
     */
    public static String dumps(Object value, Integer indent) {
        StringBuilder sb = new StringBuilder();
        new Writer(indent, false).write(sb, value, 0);
        return sb.toString();
    }

    /** Python's default {@code json.dumps(value)}: one line, every non-ASCII character as {@code \\uXXXX}. */
    public static String dumpsAscii(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(null, true).write(sb, value, 0);
        return sb.toString();
    }

    /** How {@code json.dumps} turns a non-string dict key into a string. */
    public static String jsonKey(Object key) {
        if (key instanceof String str) return str;
        if (key == null) return "null";
        if (key instanceof Boolean b) return b ? "true" : "false";
        if (key instanceof Double d) return floatLiteral(d);
        if (PyValues.isInt(key)) return key.toString();
        throw PyError.typeError("keys must be str, int, float, bool or None, not " + PyValues.typeName(key));
    }

    /** A float as json.dumps writes it: repr, but {@code NaN}/{@code Infinity}/{@code -Infinity} literals. */
    private static String floatLiteral(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyRepr.floatRepr(d);
    }

    /**
     * One json.dumps call's settings: indent (null = one line) and ensure_ascii. Besides the value model above
     * it takes what the chat templates hand over: any CharSequence, Float/BigDecimal (as floats), other
     * Numbers (as ints), any Iterable or array (as lists).
     */
    private record Writer(Integer indent, boolean ensureAscii) {

        void write(StringBuilder sb, Object v, int depth) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof CharSequence s) {
                writeString(sb, s.toString());
            } else if (v instanceof Boolean b) {
                sb.append(b ? "true" : "false");
            } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
                sb.append(floatLiteral(((Number) v).doubleValue()));
            } else if (v instanceof Number n) {
                sb.append(n);
            } else if (v instanceof Map<?, ?> m) {
                writeContainer(sb, '{', '}', m.entrySet(), depth, (e, b) -> {
                    Map.Entry<?, ?> en = (Map.Entry<?, ?>) e;
                    writeString(b, jsonKey(en.getKey()));
                    b.append(": ");
                    write(b, en.getValue(), depth + 1);
                });
            } else if (v instanceof Iterable<?> it) {
                writeContainer(sb, '[', ']', it, depth, (x, b) -> write(b, x, depth + 1));
            } else if (v instanceof Object[] arr) {
                writeContainer(sb, '[', ']', Arrays.asList(arr), depth, (x, b) -> write(b, x, depth + 1));
            } else {
                throw new IllegalArgumentException("Object of type " + v.getClass().getSimpleName()
                        + " is not JSON serializable");
            }
        }

        private void writeContainer(StringBuilder sb, char open, char close, Iterable<?> items, int depth,
                                    BiConsumer<Object, StringBuilder> item) {
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
            sb.append('\n').append(" ".repeat(indent * depth));
        }

        /**
         * Python's string escaping: '"', '\\' and control characters always; with ensure_ascii everything
         * from 0x7f up; lone surrogates always (so the text stays valid UTF-16).
         */
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
                        boolean lone = Character.isSurrogate(c) && !isPairedSurrogate(s, i);
                        if (c < 0x20 || (ensureAscii && c > 0x7e) || lone) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    private static boolean isPairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
