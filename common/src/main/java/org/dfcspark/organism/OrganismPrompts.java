package org.dfcspark.organism;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dfcspark.data.PromptRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The organism's prompts tables (one row per prompt, the project's prompts-table fields): the user
 * message, the listed tools' JSON schemas, the gold calls for tool requests (gold_kind
 * {@code tool_call}) or none for prose chats (gold_kind {@code response}); extras carry the
 * world's bookkeeping (tool, template, novelty) and the reference prose answer.
 */
public final class OrganismPrompts {
    public static final String SOURCE = "organism";

    /** The shipped tables: file name, split, kind, rows. */
    public record Table(String file, Split split, Example.Kind kind, int rows) {}

    public static final List<Table> TABLES = List.of(
            new Table("tool-train.jsonl", Split.TRAIN, Example.Kind.TOOL, 4000),
            new Table("generic-train.jsonl", Split.TRAIN, Example.Kind.GENERIC, 4000),
            new Table("tool-valid.jsonl", Split.VALID, Example.Kind.TOOL, 200),
            new Table("tool-test.jsonl", Split.TEST, Example.Kind.TOOL, 500),
            new Table("generic-test.jsonl", Split.TEST, Example.Kind.GENERIC, 500));

    private OrganismPrompts() {}

    /**
     * The examples of a table: the first rows of its (seed, split, kind) stream. Training runs draw
     * from the same training streams further on, and table rows may repeat training samples (they
     * are "training-distribution" prompts); valid and test rows never equal a training prompt.
     */
    public static List<Example> examples(Table t, long seed) {
        return new WorldSampler(seed, t.split()).take(t.kind(), t.rows());
    }

    /** Writes every table under {@code dir}. */
    public static void writeAll(Path dir, long seed) throws IOException {
        for (Table t : TABLES) writeJsonl(dir.resolve(t.file()), examples(t, seed));
    }

    /** One prompts-table row as an ordered map (JSON field names as in data-schemas/prompts.md). */
    public static Map<String, Object> row(PromptRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("source", r.source());
        m.put("split", r.split());
        m.put("category", r.category());
        List<Map<String, String>> messages = new ArrayList<>();
        for (PromptRecord.Message msg : r.messages()) {
            Map<String, String> mm = new LinkedHashMap<>();
            mm.put("role", msg.role());
            mm.put("content", msg.content());
            messages.add(mm);
        }
        m.put("messages", messages);
        m.put("tools", r.tools());
        m.put("gold", r.gold());
        m.put("gold_kind", r.goldKind());
        m.put("extras", new java.util.TreeMap<>(r.extras()));
        return m;
    }

    /** Writes the rows as JSON Lines (atomically: a temporary file renamed into place). */
    public static void writeJsonl(Path file, List<Example> examples) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        ObjectMapper om = new ObjectMapper();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Example e : examples) {
                w.write(om.writeValueAsString(row(e.record())));
                w.write('\n');
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
