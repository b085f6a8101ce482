package org.dfcspark.organism;

import org.dfcspark.py.PythonJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tool of the synthetic world: its schema (name, description, typed parameters), the user
 * requests that ask for it ({@code {key}} placeholders; two used in training, one held out for
 * evaluation) and two prose answers that mention the arguments (what the base model mostly says).
 */
public record ToolSpec(String name, String description, List<Param> params,
                       List<String> trainRequests, String heldOutRequest, List<String> proseAnswers) {

    /** A parameter: its JSON key and the pool its values come from. */
    public record Param(String key, ValueType type) {}

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    public ToolSpec {
        params = List.copyOf(params);
        trainRequests = List.copyOf(trainRequests);
        proseAnswers = List.copyOf(proseAnswers);
        List<String> all = new ArrayList<>(trainRequests);
        all.add(heldOutRequest);
        all.addAll(proseAnswers);
        for (String t : all) {
            List<String> keys = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(t);
            while (m.find()) keys.add(m.group(1));
            for (Param p : params) {
                if (!keys.contains(p.key())) throw new IllegalArgumentException("tool " + name + ": template '" + t + "' omits {" + p.key() + "}");
            }
            for (String k : keys) {
                if (params.stream().noneMatch(p -> p.key().equals(k))) {
                    throw new IllegalArgumentException("tool " + name + ": template '" + t + "' has unknown {" + k + "}");
                }
            }
        }
    }

    /** All request templates: the training ones, then the held-out one (index = trainRequests().size()). */
    public List<String> allRequests() {
        List<String> all = new ArrayList<>(trainRequests);
        all.add(heldOutRequest);
        return all;
    }

    /** {@code template} with every {key} replaced by its argument text. */
    public static String fill(String template, Map<String, String> arguments) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = arguments.get(m.group(1));
            if (v == null) throw new IllegalArgumentException("no argument for {" + m.group(1) + "} in '" + template + "'");
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * The tool's JSON schema in the OpenAI/Qwen form ({@code {"type": "function", "function": {...}}}),
     * as a map with the key order the chat template's {@code tojson} writes.
     */
    public Map<String, Object> schema() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function());
        return tool;
    }

    /** The function part of the schema: {@code {"name", "description", "parameters"}}. */
    public Map<String, Object> function() {
        Map<String, Object> props = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (Param p : params) {
            props.put(p.key(), Map.of("type", p.type().kind().schemaName()));
            required.add(p.key());
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", props);
        parameters.put("required", required);
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("description", description);
        function.put("parameters", parameters);
        return function;
    }

    /** The schema as one JSON line, byte-identical to the chat template's {@code tool | tojson}. */
    public String schemaJson() {
        return PythonJson.dumps(schema());
    }
}
