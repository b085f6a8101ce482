package org.dfcspark.jobs.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.dfcspark.io.AtomicOutput;

/**
 * {@code OUT/experiment.json}: the resolved config and, per stage, its status ({@code running}, {@code complete},
 * {@code failed: …}), settings fingerprint, settings and wall time. Written
 * atomically, and only when its content changes (a rerun that skips every stage leaves it untouched).
 */
final class ExperimentRecord {
    static final String FILE = "experiment.json";
    static final String RUNNING = "running", COMPLETE = "complete";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final ObjectNode root;

    private ExperimentRecord(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    static ExperimentRecord read(Path out) throws IOException {
        Path f = out.resolve(FILE);
        ObjectNode root = Files.isRegularFile(f) ? (ObjectNode) JSON.readTree(Files.readString(f)) : JSON.createObjectNode();
        if (!root.has("stages")) root.putObject("stages");
        return new ExperimentRecord(f, root);
    }

    /** A stage's entry, or null when it never started. */
    JsonNode stage(Stage s) {
        return root.get("stages").get(s.id());
    }

    String status(Stage s) {
        JsonNode n = stage(s);
        return n == null ? null : n.get("status").asText();
    }

    String fingerprint(Stage s) {
        JsonNode n = stage(s);
        return n == null ? null : n.get("fingerprint").asText();
    }

    JsonNode settings(Stage s) {
        JsonNode n = stage(s);
        return n == null ? null : n.get("settings");
    }

    /** The resolved config, kept as the first field. */
    void config(JsonNode resolved) {
        ObjectNode reordered = JSON.createObjectNode();
        reordered.set("config", resolved);
        root.remove("config");
        reordered.setAll(root);
        root.removeAll();
        root.setAll(reordered);
    }

    void started(Stage s, String fingerprint, JsonNode settings) {
        ObjectNode n = ((ObjectNode) root.get("stages")).putObject(s.id());
        n.put("status", RUNNING).put("fingerprint", fingerprint).put("started", Instant.now().toString());
        n.set("settings", settings);
    }

    void ended(Stage s, String status, double wallSeconds) {
        ObjectNode n = (ObjectNode) stage(s);
        n.put("status", status).put("ended", Instant.now().toString()).put("wall_s", Math.round(wallSeconds * 10) / 10.0);
    }

    void save() throws IOException {
        String text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        if (Files.isRegularFile(file) && Files.readString(file).equals(text)) return;
        AtomicOutput.writeFile(file, tmp -> Files.writeString(tmp, text));
    }
}
