package org.dfcspark.jobs.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dfcspark.io.AtomicOutput;

/**
 * A sweep's bookkeeping under {@code OUT/_sweep/}: a done marker per variant ({@code done/ID.json}, written
 * atomically after its final checkpoint and its metrics; a variant with one is never trained again) and a failure
 * record per variant that threw ({@code failed/ID.json}; such a variant is retried by the next run, from its last
 * checkpoint). A diverged variant is done: training it again would diverge again.
 */
final class SweepMarkers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SweepMarkers() {}

    static Path done(Path out, String id) {
        return out.resolve("_sweep").resolve("done").resolve(id + ".json");
    }

    static Path failed(Path out, String id) {
        return out.resolve("_sweep").resolve("failed").resolve(id + ".json");
    }

    static JsonNode read(Path marker) throws IOException {
        return Files.isRegularFile(marker) ? JSON.readTree(marker.toFile()) : null;
    }

    static void write(Path marker, JsonNode json) throws IOException {
        AtomicOutput.writeFile(marker, tmp -> Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json), StandardCharsets.UTF_8));
    }
}
