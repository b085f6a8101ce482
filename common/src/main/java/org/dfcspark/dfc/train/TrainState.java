package org.dfcspark.dfc.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.dfc.Adam;
import org.dfcspark.dfc.Checkpoint;

/**
 * What a training checkpoint holds beyond the crosscoder: {@code state.json} (the next step, the data position of every
 * stream, rows skipped, whether the run finished, the settings that decide the parameters) and
 * {@code optimizer.safetensors} (Adam's step count and moments, the dead-latent counters). Together with the weights
 * and config.json they are everything a resumed run needs to end exactly where an uninterrupted one would.
 *
 * @param step      steps taken (the next step's index)
 * @param finished  true once the run took all its steps
 * @param positions where each data stream stands, by stream index
 * @param badRows   rows with NaN/Inf skipped so far (all replicas)
 * @param settings  {@link TrainConfig#identity()} of the run
 */
public record TrainState(long step, boolean finished, List<StreamPosition> positions, long badRows, Map<String, Object> settings) {
    public static final String FORMAT = "dfc-train-state/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("step", step);
        o.put("state", finished ? "completed" : "running");
        ArrayNode ps = o.putArray("streams");
        for (StreamPosition p : positions) ps.addObject().put("epoch", p.epoch()).put("block", p.block()).put("offset", p.offset());
        o.put("bad_rows", badRows);
        o.set("settings", JSON.valueToTree(settings));
        try {
            return JSON.writeValueAsString(o) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code dir} holds a training checkpoint's state.json. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(Checkpoint.STATE));
    }

    public static TrainState read(Path dir) throws IOException {
        Path f = dir.resolve(Checkpoint.STATE);
        JsonNode o;
        try {
            o = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(f + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (!FORMAT.equals(o.path("format").asText())) throw new IllegalArgumentException(f + ": not a " + FORMAT + " file");
        List<StreamPosition> ps = new ArrayList<>();
        for (JsonNode p : o.path("streams")) ps.add(new StreamPosition(p.path("epoch").asLong(), p.path("block").asInt(), p.path("offset").asInt()));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = JSON.convertValue(o.path("settings"), Map.class);
        return new TrainState(o.path("step").asLong(), "completed".equals(o.path("state").asText()), ps, o.path("bad_rows").asLong(), settings);
    }

    /** optimizer.safetensors: Adam's moments under {@link Adam#MOMENT_NAMES}, its step, and the dead-latent counters. */
    public static void writeOptimizer(Path file, Adam adam, long[] deadCounters) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "dfc-optimizer/1");
        float[][] m = adam.moments();
        for (int i = 0; i < m.length; i++) w.addF32(Adam.MOMENT_NAMES.get(i), m[i], m[i].length);
        w.addI64("adam_step", new long[] {adam.steps()}, 1);
        w.addI64("dead_since_fired", deadCounters, deadCounters.length);
        w.write(file);
    }

    /** Restores {@code adam} from optimizer.safetensors and returns the dead-latent counters. */
    public static long[] readOptimizer(Path dir, Adam adam) throws IOException {
        Path f = dir.resolve(Checkpoint.OPTIMIZER);
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(dir + ": no " + Checkpoint.OPTIMIZER + " (not a resumable training checkpoint)");
        try (SafeTensors st = SafeTensors.open(f)) {
            float[][] m = new float[Adam.MOMENT_NAMES.size()][];
            for (int i = 0; i < m.length; i++) {
                String name = Adam.MOMENT_NAMES.get(i);
                if (!st.contains(name)) throw new IllegalArgumentException(f + ": missing tensor '" + name + "'");
                m[i] = st.floats(name);
            }
            try {
                adam.restore(st.longs("adam_step")[0], m);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f + ": " + e.getMessage());
            }
            return st.longs("dead_since_fired");
        }
    }
}
