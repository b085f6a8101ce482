package org.dfcspark.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dfcspark.data.SafeTensors;

/**
 * The command-line spelling of an edit, as {@code bin/dfc generate --intervene SPEC} takes it:
 * <pre>
 *   add:layer=L:vector=FILE.safetensors#NAME[:scale=S][:positions=all|last|generated][:phase=every|prefill]
 *   replace:layer=L:vector=FILE.safetensors#NAME[:positions=last|all][:phase=prefill|every]
 * </pre>
 * L is the decoder layer whose output is edited ({@code blocks.L.hook_resid_post}). Defaults: add = every
 * position, every step, scale 1; replace = last prompt position, prompt forward only. FILE must not contain ':'.
 * {@link #parse} checks the syntax (IllegalArgumentException: a usage error); {@link #resolve} reads the vector.
 */
public record InterventionSpec(String kind, int layer, Path file, String tensor, double scale, String positions, String phase) {
    private static final Set<String> KEYS = Set.of("layer", "vector", "scale", "positions", "phase");

    public static InterventionSpec parse(String spec) {
        String[] parts = spec == null ? new String[0] : spec.split(":", -1);
        if (parts.length == 0 || !(parts[0].equals("add") || parts[0].equals("replace"))) {
            throw bad(spec, "must start with add: or replace:");
        }
        String kind = parts[0];
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) throw bad(spec, "'" + parts[i] + "' is not key=value");
            String k = parts[i].substring(0, eq), v = parts[i].substring(eq + 1);
            if (!KEYS.contains(k)) throw bad(spec, "unknown key '" + k + "' (keys: layer, vector, scale, positions, phase)");
            if (kv.put(k, v) != null) throw bad(spec, "key '" + k + "' given twice");
        }
        if (!kv.containsKey("layer")) throw bad(spec, "missing layer=L");
        if (!kv.containsKey("vector")) throw bad(spec, "missing vector=FILE.safetensors#NAME");
        int layer;
        try {
            layer = Integer.parseInt(kv.get("layer"));
        } catch (NumberFormatException e) {
            throw bad(spec, "layer '" + kv.get("layer") + "' is not an integer");
        }
        if (layer < 0) throw bad(spec, "layer must be >= 0");
        String vector = kv.get("vector");
        int hash = vector.lastIndexOf('#');
        if (hash <= 0 || hash == vector.length() - 1) throw bad(spec, "vector must be FILE.safetensors#NAME, got '" + vector + "'");
        double scale = 1.0;
        if (kv.containsKey("scale")) {
            if (kind.equals("replace")) throw bad(spec, "replace takes no scale");
            try {
                scale = Double.parseDouble(kv.get("scale"));
            } catch (NumberFormatException e) {
                throw bad(spec, "scale '" + kv.get("scale") + "' is not a number");
            }
            if (!Double.isFinite(scale)) throw bad(spec, "scale must be finite");
        }
        String positions = kv.getOrDefault("positions", kind.equals("add") ? "all" : "last");
        Set<String> allowed = kind.equals("add") ? Set.of("all", "last", "generated") : Set.of("all", "last");
        if (!allowed.contains(positions)) throw bad(spec, "positions must be one of " + allowed + ", got '" + positions + "'");
        String phase = kv.getOrDefault("phase", kind.equals("add") ? "every" : "prefill");
        if (!phase.equals("every") && !phase.equals("prefill")) throw bad(spec, "phase must be every or prefill, got '" + phase + "'");
        return new InterventionSpec(kind, layer, Path.of(vector.substring(0, hash)), vector.substring(hash + 1), scale, positions, phase);
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad intervention '" + spec + "': " + why);
    }

    public HookPoint hook() {
        return HookPoint.residPost(layer);
    }

    /**
     * Reads the vector (float tensor of shape (d) or (1, d)) and builds the intervention for a model with this
     * config. A layer beyond the model is an IllegalArgumentException; an unreadable or misshapen vector an
     * IOException naming FILE#NAME.
     */
    public Intervention resolve(Qwen2Config config) throws IOException {
        hook().checkFits(config.numHiddenLayers());
        float[] v;
        try (SafeTensors st = SafeTensors.open(file)) {
            SafeTensors.TensorInfo info = st.info(tensor);
            long[] shape = info.shape();
            boolean ok = info.dtype().isFloat() && (shape.length == 1 || (shape.length == 2 && shape[0] == 1))
                    && shape[shape.length - 1] == config.hiddenSize();
            if (!ok) {
                throw new IOException(file + "#" + tensor + ": expected a float vector of " + config.hiddenSize()
                        + " values (the hidden size), got " + info.dtype() + " " + Arrays.toString(shape));
            }
            v = st.floats(tensor);
        }
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw new IOException(file + "#" + tensor + ": value " + i + " is " + v[i] + " (a steering vector must be finite)");
            if (!Float.isFinite((float) (v[i] * scale))) {
                throw new IOException(file + "#" + tensor + ": value " + i + " (" + v[i] + ") times scale " + scale + " overflows float32");
            }
        }
        Phase ph = phase.equals("every") ? Phase.EVERY_STEP : Phase.PREFILL;
        Positions pos = switch (positions) {
            case "all" -> Positions.all();
            case "last" -> Positions.lastPrompt();
            default -> Positions.generated();
        };
        return kind.equals("add") ? Intervention.add(hook(), v, scale, pos, ph) : Intervention.replace(hook(), new float[][] {v}, pos, ph);
    }
}
