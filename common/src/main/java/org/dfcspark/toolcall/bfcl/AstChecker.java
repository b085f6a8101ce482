package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PyRepr;
import org.dfcspark.py.PyValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BFCL's {@code ast_checker.py}, ported line by line so that every quirk survives: greedy first-fit parallel
 * matching, int-to-float promotion only at the top level, the one-level nested type check that any
 * non-list acceptable value satisfies, string standardisation, dict checks that keep looking after the first
 * failure, and Python operators ({@code in}, {@code ==}, {@code len}, {@code x[k]}) that raise where Python
 * raises. Python types are named by their {@code __name__} ({@code "str"}, {@code "int"}, ...).
 */
final class AstChecker {
    private static final Map<String, String> PYTHON_TYPE_MAPPING = Map.of(
            "string", "str", "integer", "int", "float", "float", "boolean", "bool",
            "array", "list", "tuple", "list", "dict", "dict", "any", "str");
    private static final List<String> PYTHON_NESTED_TYPE_CHECK_LIST = List.of("array", "tuple");
    static final Map<String, String> JAVA_TYPE_CONVERSION = Map.ofEntries(
            Map.entry("byte", "int"), Map.entry("short", "int"), Map.entry("integer", "int"),
            Map.entry("float", "float"), Map.entry("double", "float"), Map.entry("long", "int"),
            Map.entry("boolean", "bool"), Map.entry("char", "str"), Map.entry("Array", "list"),
            Map.entry("ArrayList", "list"), Map.entry("Set", "set"), Map.entry("HashMap", "dict"),
            Map.entry("Hashtable", "dict"), Map.entry("Queue", "list"), Map.entry("Stack", "list"),
            Map.entry("String", "str"), Map.entry("any", "str"));
    static final Map<String, String> JS_TYPE_CONVERSION = Map.of(
            "String", "str", "integer", "int", "float", "float", "Bigint", "int",
            "Boolean", "bool", "dict", "dict", "array", "list", "any", "str");
    private static final List<String> NESTED_CONVERSION_TYPE_LIST = List.of("Array", "ArrayList", "array");

    enum Language { PYTHON, JAVA, JAVASCRIPT }

    /** The mutable result dict of the original ({@code valid}, {@code error}, {@code error_type}, {@code is_variable}). */
    static final class Result {
        boolean valid;
        List<Object> error = new ArrayList<>();
        String errorType;
        boolean isVariable;

        Result(boolean valid, String errorType) {
            this.valid = valid;
            this.errorType = errorType;
        }

        static Result ok() {
            return new Result(true, null);
        }

        static Result fail(String errorType, String message) {
            Result r = new Result(false, errorType);
            r.error.add(message);
            return r;
        }
    }

    private final Language language;
    private final boolean underscoreToDot;

    AstChecker(Language language, boolean underscoreToDot) {
        this.language = language;
        this.underscoreToDot = underscoreToDot;
    }

    /** {@code ast_checker(func_description, model_output, possible_answer, language, test_category, model_name)}. */
    Result check(Object funcDescription, List<DecodedCall> modelOutput, Object possibleAnswer, String category) {
        if (category.contains("parallel")) {
            return parallelFunctionCheckerNoOrder(funcDescription, modelOutput, possibleAnswer);
        } else if (category.contains("multiple")) {
            return multipleFunctionChecker(funcDescription, modelOutput, possibleAnswer);
        }
        if (modelOutput.size() != 1) {
            return Result.fail("simple_function_checker:wrong_count", "Wrong number of functions.");
        }
        return simpleFunctionChecker(PyValues.getItem(funcDescription, 0L), modelOutput.get(0),
                PyValues.getItem(possibleAnswer, 0L));
    }

    private static Object findDescription(Object funcDescriptions, Object name) {
        if (funcDescriptions instanceof List<?> list) {
            for (Object fd : list) {
                if (PyValues.eq(PyValues.getItem(fd, "name"), name)) return fd;
            }
            return null;
        }
        return funcDescriptions;
    }

    /** {@code get_possible_answer_type}: the type of the first acceptable value that is not {@code ""}. */
    private static String possibleAnswerType(Object possibleAnswer) {
        for (Object answer : PyValues.iterate(possibleAnswer)) {
            if (!PyValues.eq(answer, "")) return PyValues.typeName(answer);
        }
        return null;
    }

    private Object convertFuncName(Object functionName) {
        if (PyValues.contains(functionName, ".") && underscoreToDot) {
            return ((String) functionName).replace(".", "_");
        }
        return functionName;
    }

    private static Result typeChecker(Object param, Object value, Object possibleAnswer,
                                      String expectedTypeDescription, String expectedTypeConverted,
                                      String nestedTypeConverted) {
        Result result = new Result(true, "type_error:simple");
        boolean isVariable = false;
        String possibleAnswerType = possibleAnswerType(possibleAnswer);
        if (possibleAnswerType != null && !possibleAnswerType.equals(expectedTypeConverted)) isVariable = true;

        if (PyValues.typeName(value).equals(expectedTypeConverted)) {
            if (nestedTypeConverted == null) {
                result.isVariable = isVariable;
                return result;
            }
            for (Object possibleAnswerItem : PyValues.iterate(possibleAnswer)) {
                boolean flag = true;
                if (possibleAnswerItem instanceof List) {
                    for (Object valueItem : PyValues.iterate(value)) {
                        Result inner = typeChecker(param, valueItem, possibleAnswerItem,
                                classRepr(nestedTypeConverted), nestedTypeConverted, null);
                        if (!inner.valid) {
                            flag = false;
                            break;
                        }
                    }
                }
                if (flag) {
                    Result ok = Result.ok();
                    ok.isVariable = isVariable;
                    return ok;
                }
            }
            result.valid = false;
            result.error = new ArrayList<>(List.of("Nested type checking failed for parameter " + PyRepr.repr(param)
                    + ". Expected outer type " + expectedTypeDescription + " with inner type "
                    + classRepr(nestedTypeConverted) + ". Parameter value: " + PyRepr.repr(value) + "."));
            result.errorType = "type_error:nested";
        }

        possibleAnswerType = possibleAnswerType(possibleAnswer);
        if (possibleAnswerType != null && PyValues.typeName(value).equals(possibleAnswerType)) {
            result.isVariable = true;
            return result;
        }
        result.valid = false;
        result.error.add("Incorrect type for parameter " + PyRepr.repr(param) + ". Expected type "
                + expectedTypeDescription + ", got " + PyValues.typeName(value) + ". Parameter value: "
                + PyRepr.repr(value) + ".");
        result.errorType = "type_error:simple";
        return result;
    }

    /** {@code str(type)} as Python prints it, e.g. {@code <class 'int'>}. */
    private static String classRepr(String typeName) {
        return "<class '" + typeName + "'>";
    }

    static String standardizeString(String s) {
        return BfclStrings.standardize(s);
    }

    private static Object standardizeIfString(Object v) {
        return v instanceof String s ? standardizeString(s) : v;
    }

    private static Result stringChecker(Object param, String modelOutput, Object possibleAnswer) {
        List<Object> standardized = new ArrayList<>();
        String standardizedOutput = standardizeString(modelOutput);
        int n = PyValues.len(possibleAnswer);
        for (long i = 0; i < n; i++) {
            Object a = PyValues.getItem(possibleAnswer, i);
            if (a instanceof String s) standardized.add(standardizeString(s));
        }
        if (!PyValues.contains(standardized, standardizedOutput)) {
            return Result.fail("value_error:string", "Invalid value for parameter " + PyRepr.repr(param) + ": "
                    + PyRepr.repr(modelOutput) + ". Expected one of " + PyRepr.repr(possibleAnswer)
                    + ". Case insensitive.");
        }
        return Result.ok();
    }

    private static Result listChecker(Object param, Object modelOutput, Object possibleAnswer) {
        List<Object> standardizedOutput = PyValues.iterate(modelOutput);
        for (int i = 0; i < standardizedOutput.size(); i++) {
            if (standardizedOutput.get(i) instanceof String) {
                standardizedOutput.set(i, standardizeIfString(PyValues.getItem(modelOutput, (long) i)));
            }
        }
        List<Object> standardizedAnswers = new ArrayList<>();
        int n = PyValues.len(possibleAnswer);
        for (long i = 0; i < n; i++) {
            List<Object> one = new ArrayList<>();
            standardizedAnswers.add(one);
            Object answer = PyValues.getItem(possibleAnswer, i);
            int m = PyValues.len(answer);
            for (long j = 0; j < m; j++) one.add(standardizeIfString(PyValues.getItem(answer, j)));
        }
        if (!PyValues.contains(standardizedAnswers, standardizedOutput)) {
            return Result.fail("value_error:list/tuple", "Invalid value for parameter " + PyRepr.repr(param) + ": "
                    + PyRepr.repr(modelOutput) + ". Expected one of " + PyRepr.repr(possibleAnswer) + ".");
        }
        return Result.ok();
    }

    private static Result dictChecker(Object modelOutput, Object possibleAnswers) {
        Result result = new Result(false, "dict_checker:unclear");
        int n = PyValues.len(possibleAnswers);
        for (long i = 0; i < n; i++) {
            if (PyValues.eq(PyValues.getItem(possibleAnswers, i), "")) continue;
            result = new Result(false, "dict_checker:unclear");
            boolean flag = true;
            Object possibleAnswer = PyValues.getItem(possibleAnswers, i);

            for (Map.Entry<String, Object> e : PyValues.asDict(modelOutput, "items").entrySet()) {
                String key = e.getKey();
                Object value = e.getValue();
                if (!PyValues.contains(possibleAnswer, key)) {
                    result.valid = false;
                    result.error.add("Unexpected dict key parameter: '" + key + "'.");
                    result.errorType = "value_error:dict_key";
                    flag = false;
                    break;
                }
                Object standardizedValue = standardizeIfString(value);
                List<Object> standardizedAnswers = new ArrayList<>();
                Object acceptable = PyValues.getItem(possibleAnswer, key);
                int m = PyValues.len(acceptable);
                for (long j = 0; j < m; j++) {
                    standardizedAnswers.add(standardizeIfString(PyValues.getItem(PyValues.getItem(possibleAnswer, key), j)));
                }
                if (!PyValues.contains(standardizedAnswers, standardizedValue)) {
                    result.valid = false;
                    result.error.add("Invalid value for parameter " + PyRepr.repr(key) + ": " + PyRepr.repr(value)
                            + ". Expected one of " + PyRepr.repr(standardizedAnswers) + ".");
                    result.errorType = "value_error:dict_value";
                    flag = false;
                    break;
                }
            }
            for (Map.Entry<String, Object> e : PyValues.asDict(possibleAnswer, "items").entrySet()) {
                if (!PyValues.contains(modelOutput, e.getKey()) && !PyValues.contains(e.getValue(), "")) {
                    result.valid = false;
                    result.error.add("Missing dict key parameter: '" + e.getKey() + "'.");
                    result.errorType = "value_error:dict_key";
                    flag = false;
                    break;
                }
            }
            if (flag) return Result.ok();
        }
        return result;
    }

    private static Result listDictChecker(Object modelOutput, Object possibleAnswers) {
        Result result = new Result(false, "list_dict_checker:unclear");
        int n = PyValues.len(possibleAnswers);
        for (long a = 0; a < n; a++) {
            boolean flag = true;
            if (PyValues.len(modelOutput) != PyValues.len(PyValues.getItem(possibleAnswers, a))) {
                result.valid = false;
                result.error = new ArrayList<>(List.of("Wrong number of dictionaries in the list."));
                result.errorType = "value_error:list_dict_count";
                continue;
            }
            int m = PyValues.len(modelOutput);
            for (long d = 0; d < m; d++) {
                List<Object> single = new ArrayList<>();
                single.add(PyValues.getItem(PyValues.getItem(possibleAnswers, a), d));
                result = dictChecker(PyValues.getItem(modelOutput, d), single);
                if (!result.valid) {
                    flag = false;
                    break;
                }
            }
            if (flag) return Result.ok();
        }
        return result;
    }

    Result simpleFunctionChecker(Object funcDescription, DecodedCall modelOutput, Object possibleAnswerDict) {
        Map<String, Object> answerDict = PyValues.asDict(possibleAnswerDict, "values");
        if (answerDict.isEmpty()) throw new PyError("IndexError", "list index out of range");
        Object possibleAnswer = answerDict.values().iterator().next();
        Object funcName = PyValues.getItem(funcDescription, "name");
        Object paramDetails = PyValues.getItem(PyValues.getItem(funcDescription, "parameters"), "properties");
        Object requiredParams = PyValues.getItem(PyValues.getItem(funcDescription, "parameters"), "required");

        Result result = new Result(true, "simple_function_checker:unclear");
        funcName = convertFuncName(funcName);

        PyValues.requireHashable(funcName);
        if (!PyValues.eq(modelOutput.name(), funcName)) {
            result.valid = false;
            result.error.add("Function name " + PyRepr.repr(funcName) + " not found in model output.");
            result.errorType = "simple_function_checker:wrong_func_name";
            return result;
        }
        Map<String, Object> modelParams = modelOutput.arguments();

        for (Object param : PyValues.iterate(requiredParams)) {
            if (!PyValues.contains(modelParams, param)) {
                result.valid = false;
                result.error.add("Missing required parameter: " + PyRepr.repr(param) + ".");
                result.errorType = "simple_function_checker:missing_required";
                return result;
            }
        }

        for (Map.Entry<String, Object> entry : modelParams.entrySet()) {
            String param = entry.getKey();
            Object value = entry.getValue();
            if (!PyValues.contains(paramDetails, param) || !PyValues.contains(possibleAnswer, param)) {
                result.valid = false;
                result.error.add("Unexpected parameter: " + PyRepr.repr(param) + ".");
                result.errorType = "simple_function_checker:unexpected_param";
                return result;
            }
            Object fullParamDetails = PyValues.getItem(paramDetails, param);
            Object expectedTypeDescription = PyValues.getItem(fullParamDetails, "type");
            String expectedTypeConverted;
            String nestedTypeConverted = null;

            if (language == Language.JAVA || language == Language.JAVASCRIPT) {
                Map<String, String> conversion = language == Language.JAVA ? JAVA_TYPE_CONVERSION : JS_TYPE_CONVERSION;
                expectedTypeConverted = lookup(conversion, expectedTypeDescription);
                if (!(value instanceof String text)) {
                    result.valid = false;
                    result.error.add("Incorrect type for parameter " + PyRepr.repr(param)
                            + ". Expected type String, got " + PyValues.typeName(value) + ". Parameter value: "
                            + PyRepr.repr(value) + ".");
                    result.errorType = language == Language.JAVA ? "type_error:java" : "type_error:js";
                    return result;
                }
                String desc = (String) expectedTypeDescription;
                if (NESTED_CONVERSION_TYPE_LIST.contains(desc)) {
                    Object nestedType = PyValues.getItem(PyValues.getItem(PyValues.getItem(paramDetails, param), "items"), "type");
                    nestedTypeConverted = lookup(conversion, nestedType);
                    value = language == Language.JAVA
                            ? JavaTypeConverter.convert(text, desc, (String) nestedType)
                            : JsTypeConverter.convert(text, desc, (String) nestedType);
                } else {
                    value = language == Language.JAVA
                            ? JavaTypeConverter.convert(text, desc, null)
                            : JsTypeConverter.convert(text, desc, null);
                }
            } else {
                expectedTypeConverted = lookup(PYTHON_TYPE_MAPPING, expectedTypeDescription);
                if (PYTHON_NESTED_TYPE_CHECK_LIST.contains(expectedTypeDescription)) {
                    Object nestedType = PyValues.getItem(PyValues.getItem(PyValues.getItem(paramDetails, param), "items"), "type");
                    nestedTypeConverted = lookup(PYTHON_TYPE_MAPPING, nestedType);
                }
            }

            // Python's auto conversion from int to float, top level only
            if (language == Language.PYTHON && "float".equals(expectedTypeDescription) && PyValues.isInt(value)) {
                value = PyValues.intToFloat(value);
            }

            Object acceptable = PyValues.getItem(possibleAnswer, param);
            Result typeCheck = typeChecker(param, value, acceptable, PyRepr.str(expectedTypeDescription),
                    expectedTypeConverted, nestedTypeConverted);
            if (!typeCheck.valid) return typeCheck;

            if (!typeCheck.isVariable) {
                Result special = null;
                if (expectedTypeConverted.equals("dict")) {
                    special = dictChecker(value, acceptable);
                } else if (expectedTypeConverted.equals("list") && "dict".equals(nestedTypeConverted)) {
                    special = listDictChecker(value, acceptable);
                } else if (expectedTypeConverted.equals("str")) {
                    special = stringChecker(param, (String) value, acceptable);
                } else if (expectedTypeConverted.equals("list")) {
                    special = listChecker(param, value, acceptable);
                }
                if (special != null) {
                    result = special;
                    if (!result.valid) return result;
                    continue;
                }
            }

            if (!PyValues.contains(acceptable, value)) {
                result.valid = false;
                result.error.add("Invalid value for parameter " + PyRepr.repr(param) + ": " + PyRepr.repr(value)
                        + ". Expected one of " + PyRepr.repr(acceptable) + ".");
                result.errorType = "value_error:others";
                return result;
            }
        }

        for (Object param : PyValues.iterate(possibleAnswer)) {
            if (!PyValues.contains(modelParams, param)
                    && !PyValues.contains(PyValues.getItem(possibleAnswer, param), "")) {
                result.valid = false;
                result.error.add("Optional parameter " + PyRepr.repr(param) + " not provided and not marked as optional.");
                result.errorType = "simple_function_checker:missing_optional";
                return result;
            }
        }
        return result;
    }

    /** {@code MAPPING[key]}: a KeyError for an unknown (or unhashable) type description. */
    private static String lookup(Map<String, String> mapping, Object key) {
        PyValues.requireHashable(key);
        String v = key instanceof String s ? mapping.get(s) : null;
        if (v == null) throw PyError.keyError(key);
        return v;
    }

    private Result parallelFunctionCheckerNoOrder(Object funcDescriptions, List<DecodedCall> modelOutput,
                                                  Object possibleAnswers) {
        if (modelOutput.size() != PyValues.len(possibleAnswers)) {
            return Result.fail("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.");
        }
        List<Integer> matched = new ArrayList<>();
        Result result = null;
        int n = PyValues.len(possibleAnswers);
        for (int i = 0; i < n; i++) {
            Object answer = PyValues.getItem(possibleAnswers, (long) i);
            Object funcNameExpected = firstKey(answer);
            Object funcDescription = findDescription(funcDescriptions, funcNameExpected);
            List<Object> allErrors = new ArrayList<>();
            for (int index = 0; index < modelOutput.size(); index++) {
                if (matched.contains(index)) continue;
                result = simpleFunctionChecker(funcDescription, modelOutput.get(index), answer);
                if (result.valid) {
                    matched.add(index);
                    break;
                }
                Map<String, Object> detail = new LinkedHashMap<>();
                detail.put("sub_error", result.error);
                detail.put("sub_error_type", result.errorType);
                detail.put("model_output_item", modelOutput.get(index).asDict());
                detail.put("possible_answer_item", answer);
                Map<String, Object> wrapped = new LinkedHashMap<>();
                wrapped.put("Model Result Index " + index, detail);
                allErrors.add(wrapped);
            }
            if (result == null) throw new IllegalStateException("unreachable: no model output considered");
            if (!result.valid) {
                List<Object> considered = new ArrayList<>();
                for (int k = 0; k < modelOutput.size(); k++) if (!matched.contains(k)) considered.add((long) k);
                allErrors.add(0, "Could not find a matching function among index " + PyRepr.repr(considered)
                        + " of model output for index " + i + " of possible answers.");
                Result fail = new Result(false, "parallel_function_checker_no_order:cannot_find_match");
                fail.error = allErrors;
                return fail;
            }
        }
        return Result.ok();
    }

    private Result multipleFunctionChecker(Object funcDescriptions, List<DecodedCall> modelOutput,
                                           Object possibleAnswers) {
        if (modelOutput.size() != PyValues.len(possibleAnswers)) {
            return Result.fail("multiple_function_checker:wrong_count", "Wrong number of functions.");
        }
        Object answer = PyValues.getItem(possibleAnswers, 0L);
        Object funcDescription = findDescription(funcDescriptions, firstKey(answer));
        return simpleFunctionChecker(funcDescription, modelOutput.get(0), answer);
    }

    /** {@code list(d.keys())[0]}. */
    private static Object firstKey(Object dict) {
        Map<String, Object> m = PyValues.asDict(dict, "keys");
        if (m.isEmpty()) throw new PyError("IndexError", "list index out of range");
        return m.keySet().iterator().next();
    }
}
