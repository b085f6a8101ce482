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
 * BFCL's {@code java_type_converter.py}: turns the Java-syntax string a model gives for a Java-typed parameter
 * into a Python value (falling back to the string itself when it does not look like the type). Regexes keep
 * Python's meaning ({@code re.match} anchors at the start only; {@code $} also matches before a final newline;
 * {@code \s}, {@code \w}, {@code \d} are Unicode).
 */
final class JavaTypeConverter {
    private static final String S = PyStrings.SPACE_CLASS;
    private static final String W = PyStrings.WORD_CLASS;
    private static final String D = PyStrings.DIGIT_CLASS;
    private static final int F = Pattern.UNIX_LINES;

    private static final Pattern INTEGER = Pattern.compile("^-?" + D + "+$", F);
    private static final Pattern FLOAT = Pattern.compile("^-?" + D + "+(\\." + D + "+)?([eE][+-]?" + D + "+)?[fF]$", F);
    private static final Pattern DOUBLE = Pattern.compile("^-?" + D + "+(\\." + D + "+)?([eE][+-]?" + D + "+)?$", F);
    private static final Pattern LONG = Pattern.compile("^-?" + D + "+[lL]$", F);
    private static final Pattern CHAR = Pattern.compile("^'.$'", F);
    private static final Pattern F_SUFFIX = Pattern.compile("[fF]$", F);
    private static final Pattern L_SUFFIX = Pattern.compile("[lL]$", F);
    private static final Pattern AS_LIST = Pattern.compile("new" + S + "+ArrayList<" + W + "*>\\(Arrays\\.asList\\((.+?)\\)\\)", F);
    private static final Pattern ADD_BLOCK = Pattern.compile(
            "new" + S + "+ArrayList<" + W + "*>\\(\\)" + S + "*\\{\\{" + S + "*(.+?)" + S + "*\\}\\}", F | Pattern.DOTALL);
    private static final Pattern ADD = Pattern.compile("add\\((.+?)\\)", F);
    private static final Pattern EMPTY_LIST = Pattern.compile("new" + S + "+ArrayList<" + W + "*>\\(\\)", F);
    private static final Pattern ARRAY = Pattern.compile("new" + S + "+" + W + "+\\[\\]" + S + "*\\{(.*?)\\}", F);
    private static final Pattern HASHMAP = Pattern.compile(
            "new" + S + "+HashMap<.*?>" + S + "*\\(\\)" + S + "*\\{" + S + "*\\{?" + S + "*(.*?)" + S + "*\\}?" + S + "*\\}",
            F | Pattern.DOTALL);
    private static final Pattern PUT = Pattern.compile("put\\(\"(.*?)\"," + S + "*(.*?)\\)", F);
    private static final Pattern EMPTY_MAP = Pattern.compile("new" + S + "+HashMap<.*?>" + S + "*\\(\\)", F);

    private JavaTypeConverter() {}

    /** {@code java_type_converter(value, expected_type, nested_type)}. */
    static Object convert(String value, String expectedType, String nestedType) {
        if (!AstChecker.JAVA_TYPE_CONVERSION.containsKey(expectedType)) {
            throw PyError.valueError("Unsupported type: " + expectedType);
        }
        switch (expectedType) {
            case "byte", "short", "integer":
                return INTEGER.matcher(value).lookingAt() ? PyNumbers.parseInt(value) : value;
            case "float":
                return FLOAT.matcher(value).lookingAt() ? PyNumbers.parseFloat(F_SUFFIX.matcher(value).replaceAll("")) : value;
            case "double":
                return DOUBLE.matcher(value).lookingAt() ? PyNumbers.parseFloat(value) : value;
            case "long":
                return LONG.matcher(value).lookingAt() ? PyNumbers.parseInt(L_SUFFIX.matcher(value).replaceAll("")) : value;
            case "boolean":
                return value.equals("true") || value.equals("false") ? value.equals("true") : value;
            case "char":
                return value;   // the original's pattern ^'.$' can never match; either way the string is kept
            case "Array":
                return parseArray(value, nestedType);
            case "ArrayList":
                return parseArrayList(value, nestedType);
            case "HashMap":
                return parseHashMap(value);
            case "Set", "Hashtable":
                throw new PyError("NotImplementedError", "Set conversion is not implemented");
            case "Queue", "Stack":
                throw new PyError("NotImplementedError", expectedType + " conversion is not implemented");
            case "String", "any":
                return value;
            default:
                throw PyError.valueError("Unsupported type: " + expectedType);
        }
    }

    private static Object element(String text, String nestedType) {
        if ("char".equals(nestedType) || "String".equals(nestedType)) return PyStrings.slice(text, 1, -1);
        return nestedType != null && !nestedType.isEmpty() ? convert(text, nestedType, null) : parseJavaValue(text);
    }

    private static Object parseArrayList(String input, String nestedType) {
        Matcher asList = AS_LIST.matcher(input);
        if (asList.find()) {
            List<Object> elements = new ArrayList<>();
            for (String part : asList.group(1).split(",", -1)) elements.add(element(PyStrings.strip(part), nestedType));
            return elements;
        }
        Matcher addBlock = ADD_BLOCK.matcher(input);
        if (addBlock.find()) {
            List<Object> elements = new ArrayList<>();
            Matcher add = ADD.matcher(addBlock.group(1));
            while (add.find()) elements.add(element(PyStrings.strip(add.group(1)), nestedType));
            return elements;
        }
        if (EMPTY_LIST.matcher(input).find()) return new ArrayList<>();
        return input;
    }

    private static Object parseArray(String input, String nestedType) {
        Matcher m = ARRAY.matcher(input);
        if (!m.find()) return input;
        List<Object> elements = new ArrayList<>();
        for (String part : m.group(1).split(",", -1)) {
            String x = PyStrings.strip(part);
            if (x.isEmpty()) continue;
            elements.add(nestedType != null && !nestedType.isEmpty() ? convert(x, nestedType, null) : parseJavaValue(x));
        }
        return elements;
    }

    private static Object parseHashMap(String input) {
        Matcher m = HASHMAP.matcher(input);
        if (m.find()) {
            Map<String, Object> elements = new LinkedHashMap<>();
            String puts = m.group(1);
            if (!PyStrings.strip(puts).isEmpty()) {
                Matcher put = PUT.matcher(puts);
                while (put.find()) elements.put(put.group(1), parseJavaValue(PyStrings.strip(put.group(2))));
            }
            return elements;
        }
        if (EMPTY_MAP.matcher(input).find()) return new LinkedHashMap<String, Object>();
        return input;
    }

    /** {@code parse_java_value}: a Java literal without type information. */
    static Object parseJavaValue(String v) {
        if (v.equals("true")) return Boolean.TRUE;
        if (v.equals("false")) return Boolean.FALSE;
        if (v.startsWith("\"") && v.endsWith("\"")) return PyStrings.slice(v, 1, -1);
        if (LONG.matcher(v).lookingAt()) return PyNumbers.parseInt(PyStrings.slice(v, 0, -1));
        if (FLOAT.matcher(v).lookingAt()) return PyNumbers.parseFloat(F_SUFFIX.matcher(v).replaceAll(""));
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
