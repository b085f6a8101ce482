package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PyNumbers;
import org.dfcspark.py.PyStrings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BFCL's {@code js_type_converter.py}: turns the JavaScript-syntax string a model gives for a JS-typed
 * parameter into a Python value (falling back to the string itself). Regexes keep Python's meaning, and the
 * original's bare {@code except} around array parsing (any failure returns the input text) is kept.
 */
final class JsTypeConverter {
    private static final String S = PyStrings.SPACE_CLASS;
    private static final String D = PyStrings.DIGIT_CLASS;
    private static final int F = Pattern.UNIX_LINES;

    private static final Pattern INTEGER = Pattern.compile("^-?" + D + "+$", F);
    private static final Pattern FLOAT = Pattern.compile("^-?" + D + "+(\\." + D + "+)?$", F);
    private static final Pattern BIGINT = Pattern.compile("^-?" + D + "+n$", F);
    private static final Pattern ARRAY_2D = Pattern.compile(
            "\\[" + S + "*\\[.*?\\]" + S + "*(," + S + "*\\[.*?\\]" + S + "*)*\\]|\\bnew" + S + "+Array\\(" + S
                    + "*\\[.*?\\]" + S + "*(," + S + "*\\[.*?\\]" + S + "*)*\\)", F);
    private static final Pattern ARRAY = Pattern.compile("\\[(.*?)\\]|\\bnew" + S + "+Array\\((.*?)\\)", F);
    private static final Pattern INNER_ARRAY = Pattern.compile("\\[(.*?)\\]", F);
    private static final Pattern DICT = Pattern.compile("\\{(.*?)\\}", F);
    private static final Pattern PAIR = Pattern.compile("([^:]+):" + S + "*(.*?)(?:," + S + "*(?=[^,]+:)|$)", F);

    private JsTypeConverter() {}

    /** {@code js_type_converter(value, expected_type, nested_type)}. */
    static Object convert(String value, String expectedType, String nestedType) {
        if (!AstChecker.JS_TYPE_CONVERSION.containsKey(expectedType)) {
            throw PyError.valueError("Unsupported type: " + expectedType);
        }
        switch (expectedType) {
            case "String":
                if (!(value.startsWith("\"") && value.endsWith("\"")) && !(value.startsWith("'") && value.endsWith("'"))) {
                    return value;
                }
                return PyStrings.slice(value, 1, -1);
            case "integer":
                return INTEGER.matcher(value).lookingAt() ? PyNumbers.parseInt(value) : value;
            case "float":
                return FLOAT.matcher(value).lookingAt() ? PyNumbers.parseFloat(value) : value;
            case "Bigint":
                return BIGINT.matcher(value).lookingAt() ? PyNumbers.parseInt(PyStrings.slice(value, 0, -1)) : value;
            case "Boolean":
                return value.equals("true") || value.equals("false") ? value.equals("true") : value;
            case "dict":
                return parseDict(PyStrings.strip(value));
            case "array":
                return parseArray(PyStrings.strip(value), nestedType);
            case "any":
                return value;
            default:
                throw PyError.valueError("Unsupported type: " + expectedType);
        }
    }

    private static Object parseArray(String code, String nestedType) {
        try {
            Matcher twoD = ARRAY_2D.matcher(code);
            if (twoD.lookingAt()) {
                List<Object> elements = new ArrayList<>();
                Matcher inner = INNER_ARRAY.matcher(twoD.group(0));
                for (int idx = 0; inner.find(); idx++) {
                    String innerText = PyStrings.strip(inner.group(1));
                    if (idx == 0 && innerText.startsWith("[")) innerText = PyStrings.slice(innerText, 1, Integer.MAX_VALUE);
                    List<Object> row = new ArrayList<>();
                    for (String e : innerText.split(",", -1)) row.add(parseJsValue(PyStrings.strip(e)));
                    elements.add(row);
                }
                return elements;
            }
            Matcher m = ARRAY.matcher(code);
            if (!m.lookingAt()) return code;
            String group = m.group(1) != null ? m.group(1) : m.group(2);
            List<String> parts = new ArrayList<>();
            if (group != null) {
                String text = PyStrings.strip(group);
                if (!text.isEmpty()) parts.addAll(List.of(text.split(",", -1)));
            }
            List<Object> elements = new ArrayList<>();
            for (String e : parts) {
                String x = PyStrings.strip(e);
                if (nestedType != null && !nestedType.isEmpty()) {
                    boolean quoted = x.startsWith("'") || x.startsWith("\"");
                    elements.add(convert(x, nestedType, quoted ? "String" : null));
                } else {
                    elements.add(parseJsValue(x));
                }
            }
            return elements;
        } catch (RuntimeException e) {
            return code;   // the original's bare `except: return code`
        }
    }

    private static Object parseDict(String code) {
        if (code.equals("{}")) return new LinkedHashMap<String, Object>();
        Matcher m = DICT.matcher(code);
        if (!m.lookingAt()) return code;
        try {
            Map<String, Object> dictionary = new LinkedHashMap<>();
            Matcher pair = PAIR.matcher(m.group(1));
            while (pair.find()) {
                String key = PyStrings.strip(PyStrings.strip(pair.group(1)), "'\"");
                String value = PyStrings.strip(pair.group(2));
                if (value.startsWith("[") && value.endsWith("]")) {
                    dictionary.put(key, parseArray(PyStrings.strip(value), null));
                } else if (value.startsWith("{") && value.endsWith("}")) {
                    dictionary.put(key, parseDict(PyStrings.strip(value)));
                } else {
                    dictionary.put(key, parseJsValue(PyStrings.strip(value, "'\"")));
                }
            }
            return dictionary;
        } catch (RuntimeException e) {
            return code;   // `except Exception: return code`
        }
    }

    /** {@code parse_js_value}. */
    static Object parseJsValue(String valueStr) {
        String v = PyStrings.strip(valueStr);
        if (v.equals("true")) return Boolean.TRUE;
        if (v.equals("false")) return Boolean.FALSE;
        if ((v.startsWith("\"") && v.endsWith("\"")) || (v.startsWith("'") && v.endsWith("'"))) {
            return PyStrings.slice(v, 1, -1);
        }
        try {
            return PyNumbers.parseInt(v);
        } catch (PyError notInt) {
            try {
                return PyNumbers.parseFloat(v);
            } catch (PyError notFloat) {
                return v;
            }
        }
    }
}
