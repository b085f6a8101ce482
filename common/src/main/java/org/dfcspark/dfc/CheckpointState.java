package org.dfcspark.dfc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a checkpoint directory is finished. Training records its state in config.json ({@code training.state}):
 * {@code completed} when the run reached its last step, {@code running} for the periodic checkpoints of a run
 * (a killed run leaves one), {@code stopped: ...} when it gave up. A checkpoint without a training block (the
 * paper's files, written elsewhere) counts as finished.
 */
public record CheckpointState(String state, long steps) {
    public static final String COMPLETED = "completed";
    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean finished() {
        return state == null || COMPLETED.equals(state);
    }

    /** The state recorded in {@code dir}/config.json; null when there is no readable checkpoint config. */
    public static CheckpointState of(Path dir) {
        Path cfg = dir.resolve(Checkpoint.CONFIG);
        if (!Files.isRegularFile(cfg)) return null;
        try {
            JsonNode training = JSON.readTree(cfg.toFile()).path("training");
            if (!training.isObject() || !training.has("state")) return new CheckpointState(null, -1);
            return new CheckpointState(training.get("state").asText(), training.path("steps").asLong(-1));
        } catch (IOException e) {
            return null; // Checkpoint.load reports a malformed config
        }
    }

    /** Refuses an unfinished checkpoint for {@code use} (e.g. "inspect") with one line saying so. */
    public static void requireFinished(Path dir, String use) {
        CheckpointState s = of(dir);
        if (s != null && !s.finished()) {
            throw new IllegalArgumentException(dir + " is an unfinished checkpoint (training state '" + s.state + "' after " + s.steps
                    + " steps: the run was killed or stopped before its last step); " + use + " needs a finished one: train to the end first");
        }
    }
}
