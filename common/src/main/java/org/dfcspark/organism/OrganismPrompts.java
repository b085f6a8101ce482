package org.dfcspark.organism;

import org.dfcspark.data.PromptRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The organism's prompts tables, in the project's prompts-table form (data-schemas/prompts.md, source
 * {@code organism}): the user message, the listed tools' schemas, the gold calls for tool requests
 * (gold_kind {@code tool_call}) or none for prose chats (gold_kind {@code response}); extras carry the
 * world's bookkeeping (tool, number of listed tools, template, novelty) and the reference prose answer.
 */
public final class OrganismPrompts {
    public static final String SOURCE = "organism";

    /** A shipped table: its name ({@code <name>.parquet}), split, kind and number of rows. */
    public record Table(String name, Split split, Example.Kind kind, int rows) {
        public String fileName() {
            return name + ".parquet";
        }
    }

    public static final List<Table> TABLES = List.of(
            new Table("tool-train", Split.TRAIN, Example.Kind.TOOL, 4000),
            new Table("generic-train", Split.TRAIN, Example.Kind.GENERIC, 4000),
            new Table("tool-valid", Split.VALID, Example.Kind.TOOL, 200),
            new Table("tool-test", Split.TEST, Example.Kind.TOOL, 500),
            new Table("tool-novel", Split.NOVEL, Example.Kind.TOOL, 500),
            new Table("generic-test", Split.TEST, Example.Kind.GENERIC, 500));

    /** Writes prompts tables (the Spark side writes Parquet; common has no Spark). */
    @FunctionalInterface
    public interface TableWriter {
        void write(Path file, List<PromptRecord> records) throws IOException;
    }

    private OrganismPrompts() {}

    /**
     * The examples of a table: the first rows of its (seed, split, kind) stream. Training runs draw
     * from the same training streams further on, so training-table rows may repeat training samples
     * (they are training-distribution prompts); valid and test rows never equal a training prompt.
     */
    public static List<Example> examples(Table t, long seed) {
        return new WorldSampler(seed, t.split()).take(t.kind(), t.rows());
    }

    public static List<PromptRecord> records(Table t, long seed) {
        List<PromptRecord> out = new ArrayList<>();
        for (Example e : examples(t, seed)) out.add(e.record());
        return out;
    }

    /** Writes every table as {@code dir/<name>.parquet}. */
    public static void writeAll(Path dir, long seed, TableWriter writer) throws IOException {
        for (Table t : TABLES) writer.write(dir.resolve(t.fileName()), records(t, seed));
    }
}
