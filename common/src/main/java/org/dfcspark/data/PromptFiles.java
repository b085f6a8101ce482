package org.dfcspark.data;

import org.dfcspark.py.PythonJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads prompt sources from local JSON files: JSON Lines (one object per line; BFCL's {@code .json} files
 * are JSON Lines too) or one JSON array of objects (ToolRL's SFT file, LLaMA-Factory's ShareGPT files).
 * Parquet inputs are read by the Spark job, which feeds the same converters (see docs/DESIGN.md).
 */
public final class PromptFiles {
    private PromptFiles() {}

    /** How a file holds its items. */
    public enum Layout { JSON_LINES, JSON_ARRAY, PARQUET }

    /** One input item: its position in the file and its JSON text. */
    public record Item(long row, String json) {}

    /** What a read produced: the records, and the items that went to quarantine. */
    public record Result(List<PromptRecord> records, List<QuarantinedRow> quarantined) {}

    /** Parquet by extension; otherwise a JSON array when the first non-blank character is '[', else JSON Lines. */
    public static Layout layout(Path file) {
        if (file.getFileName().toString().endsWith(".parquet")) return Layout.PARQUET;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int c;
            do {
                c = r.read();
            } while (c != -1 && Character.isWhitespace(c));
            return c == '[' ? Layout.JSON_ARRAY : Layout.JSON_LINES;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The items of a JSON or JSON Lines file (Parquet: IllegalArgumentException). */
    public static List<Item> items(Path file) {
        return switch (layout(file)) {
            case JSON_LINES -> lines(file);
            case JSON_ARRAY -> arrayElements(file);
            case PARQUET -> throw new IllegalArgumentException(file + ": Parquet is read by the Spark job (bin/dfc prompts import)");
        };
    }

    /** Converts a local file's items; bad items go to quarantine, nothing is dropped. */
    public static Result read(Path file, PromptConverter converter) {
        return convert(items(file), converter, file.getFileName().toString());
    }

    /** Converts items one by one; an item that fails or yields an invalid record is quarantined whole. */
    public static Result convert(Iterable<Item> items, PromptConverter converter, String fileName) {
        List<PromptRecord> records = new ArrayList<>();
        List<QuarantinedRow> quarantined = new ArrayList<>();
        for (Item item : items) {
            String reason = null;
            List<PromptRecord> made = List.of();
            if (item.json().isBlank()) {
                reason = "blank line";
            } else {
                try {
                    made = converter.convert(item.json(), item.row());
                    for (PromptRecord r : made) {
                        List<String> problems = r.problems();
                        if (!problems.isEmpty()) {
                            reason = "invalid record " + r.id() + ": " + String.join("; ", problems);
                            break;
                        }
                    }
                } catch (BadRowException e) {
                    reason = e.getMessage();
                } catch (RuntimeException e) {
                    reason = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            }
            if (reason == null) records.addAll(made);
            else quarantined.add(new QuarantinedRow(converter.source(), fileName, item.row(), reason.replace('\n', ' '), item.json()));
        }
        return new Result(records, quarantined);
    }

    private static List<Item> lines(Path file) {
        List<Item> items = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long row = 0;
            while ((line = r.readLine()) != null) items.add(new Item(row++, line));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        return items;
    }

    private static List<Item> arrayElements(Path file) {
        Object parsed;
        try {
            parsed = PythonJson.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        List<Item> items = new ArrayList<>();
        long row = 0;
        for (Object element : (List<?>) parsed) items.add(new Item(row++, PythonJson.dumps(element)));
        return items;
    }
}
