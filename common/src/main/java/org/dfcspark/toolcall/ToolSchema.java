package org.dfcspark.toolcall;

import org.dfcspark.py.PyError;
import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A tool's parameter declarations, read from any of the shapes prompts carry: OpenAI/Qwen
 * ({@code {"type":"function","function":{...}}}), bare ({@code {"name","parameters":{"type":"object"|"dict",
 * "properties","required"}}}) or ToolRL ({@code "parameters": {"p": {"type":"int, optional","default":...}}}).
 * Types are reduced to Python's ({@code str int float bool list dict}) or null when unknown (no type check then).
 */
public record ToolSchema(String name, Map<String, Param> params, List<String> required) {

    /** One declared parameter: its Python type (null = unknown), list item type, and default if declared. */
    public record Param(String type, String itemType, boolean hasDefault, Object defaultValue) {}

    /** Parses one tool JSON string; IllegalArgumentException naming the problem if it is not a tool. */
    public static ToolSchema parse(String json) {
        Object doc;
        try {
            doc = PythonJson.loads(json);
        } catch (PyError e) {
            throw new IllegalArgumentException("tool schema is not valid JSON: " + e.getMessage());
        }
        if (doc instanceof Map<?, ?> m && "function".equals(m.get("type")) && m.get("function") instanceof Map<?, ?> inner) {
            doc = inner;
        }
        if (!(doc instanceof Map<?, ?> fn) || !(fn.get("name") instanceof String name)) {
            throw new IllegalArgumentException("tool schema has no \"name\": " + abbreviate(json));
        }
        Map<String, Param> params = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        Object parameters = fn.get("parameters");
        if (parameters instanceof Map<?, ?> p) {
            Object props = p.get("properties");
            Map<?, ?> declared = props instanceof Map<?, ?> pm ? pm : p;   // ToolRL: the map itself
            for (Map.Entry<?, ?> e : declared.entrySet()) {
                if (e.getValue() instanceof Map<?, ?> spec) params.put((String) e.getKey(), param(spec));
            }
            if (props instanceof Map && p.get("required") instanceof List<?> req) {
                for (Object r : req) if (r instanceof String s) required.add(s);
            }
        }
        return new ToolSchema(name, params, required);
    }

    private static Param param(Map<?, ?> spec) {
        String type = null;
        String itemType = null;
        if (spec.get("type") instanceof String t) {
            type = pythonType(t);
            if ("list".equals(type)) {
                itemType = spec.get("items") instanceof Map<?, ?> items && items.get("type") instanceof String it
                        ? pythonType(it) : listItemType(t);
            }
        }
        return new Param(type, itemType, spec.containsKey("default"), spec.get("default"));
    }

    /** "int, optional" -> int; "List[float]" -> list; JSON-schema and BFCL names too; unknown -> null. */
    static String pythonType(String declared) {
        String t = declared.trim();
        if (t.endsWith(", optional")) t = t.substring(0, t.length() - ", optional".length()).trim();
        if (t.startsWith("List[") || t.startsWith("list[") || t.equals("List") || t.startsWith("Tuple")) return "list";
        if (t.startsWith("Dict[") || t.equals("Dict")) return "dict";
        switch (t.toLowerCase(Locale.ROOT)) {
            case "string", "str", "char":
                return "str";
            case "integer", "int", "long", "short", "byte", "bigint":
                return "int";
            case "number", "float", "double":
                return "float";
            case "boolean", "bool":
                return "bool";
            case "array", "list", "tuple", "arraylist":
                return "list";
            case "object", "dict", "hashmap", "map":
                return "dict";
            default:
                return null;
        }
    }

    private static String listItemType(String declared) {
        int a = declared.indexOf('[');
        int b = declared.lastIndexOf(']');
        return a >= 0 && b > a ? pythonType(declared.substring(a + 1, b)) : null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
