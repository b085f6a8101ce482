package org.dfcspark.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.io.AtomicOutput;

/**
 * Prompts-table records as JSON Lines (one record per line, the fields of data-schemas/prompts.md:
 * {@code id, source, split, category, messages [{role, content}], tools [JSON text], gold, gold_kind, extras}).
 * This is how shipped prompt sets (data/organism/prompts) are stored; the Parquet table is the same records.
 */
public final class PromptTableJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptTableJson() {}

    /** The first {@code limit} records of a file (all when limit < 0); a bad line is an error naming file and line. */
    public static List<PromptRecord> read(Path file, int limit) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("prompts file not found: " + file);
        List<PromptRecord> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (limit >= 0 && out.size() >= limit) break;
            if (line.isBlank()) throw new IllegalArgumentException(file + ": line " + lineNo + ": blank line");
            out.add(parse(line, file + ": line " + lineNo));
        }
        return out;
    }

    /** One record from its JSON text; {@code where} prefixes error messages. */
    public static PromptRecord parse(String json, String where) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (!(n instanceof ObjectNode)) throw new IllegalArgumentException(where + ": not a JSON object");
        List<PromptRecord.Message> messages = new ArrayList<>();
        for (JsonNode m : array(n, "messages", where)) {
            messages.add(new PromptRecord.Message(text(m, "role", where), text(m, "content", where)));
        }
        List<String> tools = new ArrayList<>();
        for (JsonNode t : array(n, "tools", where)) {
            if (!t.isTextual()) throw new IllegalArgumentException(where + ": a tool is not a JSON string (tools hold JSON text)");
            tools.add(t.asText());
        }
        Map<String, String> extras = new LinkedHashMap<>();
        JsonNode ex = n.get("extras");
        if (ex != null && !ex.isNull()) {
            if (!ex.isObject()) throw new IllegalArgumentException(where + ": extras is not an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = ex.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                extras.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        JsonNode gold = n.get("gold");
        if (gold != null && !gold.isNull() && !gold.isTextual()) {
            throw new IllegalArgumentException(where + ": gold is not a JSON string (it holds the calls as JSON text)");
        }
        PromptRecord r = new PromptRecord(text(n, "id", where), text(n, "source", where), text(n, "split", where),
                text(n, "category", where), messages, tools, gold == null || gold.isNull() ? null : gold.asText(),
                text(n, "gold_kind", where), extras);
        List<String> problems = r.problems();
        if (!problems.isEmpty()) throw new IllegalArgumentException(where + ": invalid record " + r.id() + ": " + String.join("; ", problems));
        return r;
    }

    /** Writes records as JSON Lines (atomically: a temporary file renamed into place). */
    public static void write(Path file, List<PromptRecord> records) throws IOException {
        AtomicOutput.writeFile(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (PromptRecord r : records) {
                    w.write(JSON.writeValueAsString(toJson(r)));
                    w.write('\n');
                }
            }
        });
    }

    private static ObjectNode toJson(PromptRecord r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", r.id());
        n.put("source", r.source());
        n.put("split", r.split());
        n.put("category", r.category());
        var ms = n.putArray("messages");
        for (PromptRecord.Message m : r.messages()) ms.addObject().put("role", m.role()).put("content", m.content());
        r.tools().forEach(n.putArray("tools")::add);
        n.put("gold", r.gold());
        n.put("gold_kind", r.goldKind());
        ObjectNode ex = n.putObject("extras");
        new java.util.TreeMap<>(r.extras()).forEach(ex::put);
        return n;
    }

    private static Iterable<JsonNode> array(JsonNode n, String field, String where) {
        JsonNode a = n.get(field);
        if (a == null || !a.isArray()) throw new IllegalArgumentException(where + ": no '" + field + "' array");
        return a;
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(where + ": no '" + field + "' string");
        return v.asText();
    }
}
