package org.dfcspark.jobs.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** The settings two runs of a stage differ in, as {@code path: old -> new} (for the line that says why a stage re-runs). */
final class SettingsDiff {
    private static final int SHOWN = 6;

    private SettingsDiff() {}

    static String describe(JsonNode before, JsonNode after) {
        Map<String, String> a = new TreeMap<>(), b = new TreeMap<>();
        flatten("", before, a);
        flatten("", after, b);
        TreeSet<String> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        List<String> diffs = new ArrayList<>();
        for (String k : keys) {
            String x = a.get(k), y = b.get(k);
            if (x == null ? y != null : !x.equals(y)) diffs.add(k + ": " + (x == null ? "(none)" : x) + " -> " + (y == null ? "(none)" : y));
        }
        if (diffs.size() > SHOWN) {
            int more = diffs.size() - SHOWN;
            diffs = new ArrayList<>(diffs.subList(0, SHOWN));
            diffs.add("and " + more + " more");
        }
        return String.join("; ", diffs);
    }

    private static void flatten(String prefix, JsonNode n, Map<String, String> into) {
        if (n == null) return;
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), into);
            }
        } else if (n.isArray() && n.size() > 0 && n.get(0).isObject()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode id = n.get(i).get("id");
                flatten(prefix + "[" + (id != null ? id.asText() : String.valueOf(i)) + "]", n.get(i), into);
            }
        } else {
            into.put(prefix, n.toString());
        }
    }
}
