package org.dfcspark.dfc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsWriter;

/**
 * A crosscoder on disk: a directory with {@code crosscoder.safetensors} (the paper's six tensors W_enc, b_enc, W_dec,
 * b_dec, enc_mask, dec_mask, float32) and {@code config.json} ({@link CrosscoderConfig}), optionally the training
 * metrics. Written into a hidden temporary sibling directory which is then renamed into place, so a reader sees the
 * old checkpoint, no checkpoint, or the complete new one, never a half-written one.
 */
public final class Checkpoint {
    public static final String WEIGHTS = "crosscoder.safetensors";
    public static final String CONFIG = "config.json";
    public static final String METRICS = "metrics.jsonl";
    /** A training checkpoint's optimiser state (Adam moments, dead-latent counters) and run state (step, data position). */
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    private static final Set<String> OURS = Set.of(WEIGHTS, CONFIG, METRICS, OPTIMIZER, STATE);

    /** Writes one extra file of a checkpoint into the temporary directory (same atomic swap as the weights). */
    public interface ExtraFile {
        void write(Path file) throws IOException;
    }
    private static final List<String> TENSORS = List.of("W_enc", "b_enc", "W_dec", "b_dec", "enc_mask", "dec_mask");

    private Checkpoint() {}

    /** Writes {@code cc} (and, when given, the metrics lines) as the checkpoint directory {@code dir}. */
    public static void save(Crosscoder cc, Path dir, List<String> metricsLines) throws IOException {
        save(cc, dir, metricsLines, Map.of());
    }

    /** As {@link #save(Crosscoder, Path, List)}, plus extra files (by name) written inside the same atomic swap. */
    public static void save(Crosscoder cc, Path dir, List<String> metricsLines, Map<String, ExtraFile> extras) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) requireReplaceable(target);
        // Beside the target, then swapped in; a killed run's half-written temporary is cleaned first.
        org.dfcspark.io.AtomicOutput.writeDirectory(target, tmp -> {
            CrosscoderConfig cfg = cc.config();
            int d = cc.d, dict = cc.dictSize;
            Partition p = cc.partition;
            new SafeTensorsWriter()
                    .metadata("format", "pt")
                    .addF32("W_enc", cc.wEnc(), 2, d, dict)
                    .addF32("b_enc", cc.bEnc(), dict)
                    .addF32("W_dec", cc.wDec(), dict, 2, d)
                    .addF32("b_dec", cc.bDec(), 2, d)
                    .addF32("enc_mask", p.encMask(), 2, dict)
                    .addF32("dec_mask", p.decMask(), dict, 2)
                    .write(tmp.resolve(WEIGHTS));
            Files.writeString(tmp.resolve(CONFIG), cfg.toJson(), StandardCharsets.UTF_8);
            if (metricsLines != null) Files.write(tmp.resolve(METRICS), metricsLines, StandardCharsets.UTF_8);
            for (var e : extras.entrySet()) {
                if (!OURS.contains(e.getKey())) throw new IllegalArgumentException("not a checkpoint file name: " + e.getKey());
                e.getValue().write(tmp.resolve(e.getKey()));
            }
        });
    }

    /** Only a directory holding nothing but checkpoint files may be replaced (never a user's other data). */
    private static void requireReplaceable(Path target) throws IOException {
        if (!Files.isDirectory(target)) throw new IllegalArgumentException(target + " exists and is not a directory");
        try (Stream<Path> s = Files.list(target)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                if (!OURS.contains(f.getFileName().toString())) {
                    throw new IllegalArgumentException(target + " exists and is not a crosscoder checkpoint (it holds "
                            + f.getFileName() + "); choose another output directory");
                }
            }
        }
    }

    /**
     * Loads and validates a checkpoint directory. A config.json with only the paper's five keys gives the paper's
     * TopK crosscoder with identity normalisation. Refuses missing or extra tensors, wrong shapes, masks that disagree
     * with n_a/n_b, NaN/Inf weights and non-zero forbidden weights, naming the file and tensor.
     */
    public static Crosscoder load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a checkpoint directory (does not exist)");
        Path cfgFile = dir.resolve(CONFIG), wFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(cfgFile) || !Files.isRegularFile(wFile)) {
            throw new IllegalArgumentException(dir + ": not a complete checkpoint (needs " + CONFIG + " and " + WEIGHTS + ")");
        }
        CrosscoderConfig cfg = CrosscoderConfig.fromJson(Files.readString(cfgFile, StandardCharsets.UTF_8), cfgFile.toString());
        int d = cfg.activationDim(), dict = cfg.dictSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("W_enc", new long[] {2, d, dict});
        shapes.put("b_enc", new long[] {dict});
        shapes.put("W_dec", new long[] {dict, 2, d});
        shapes.put("b_dec", new long[] {2, d});
        shapes.put("enc_mask", new long[] {2, dict});
        shapes.put("dec_mask", new long[] {dict, 2});
        Map<String, float[]> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(wFile)) {
            for (String name : st.names()) {
                if (!TENSORS.contains(name)) throw new IllegalArgumentException(wFile + ": unexpected tensor '" + name + "' (a crosscoder has " + TENSORS + ")");
            }
            for (var e : shapes.entrySet()) {
                String name = e.getKey();
                if (!st.contains(name)) throw new IllegalArgumentException(wFile + ": missing tensor '" + name + "'");
                SafeTensors.TensorInfo info = st.info(name);
                if (!Arrays.equals(info.shape(), e.getValue())) {
                    throw new IllegalArgumentException(wFile + ": tensor '" + name + "' has shape " + info.shapeString()
                            + ", config.json implies " + Arrays.toString(e.getValue()));
                }
                if (!info.dtype().isFloat()) throw new IllegalArgumentException(wFile + ": tensor '" + name + "' has dtype " + info.dtype() + ", expected a float type");
                t.put(name, st.floats(name));
            }
        }
        Partition p = cfg.partition();
        if (!Arrays.equals(t.get("enc_mask"), p.encMask())) {
            throw new IllegalArgumentException(wFile + ": enc_mask disagrees with n_a = " + p.nA() + ", n_b = " + p.nB() + " of " + cfgFile.getFileName());
        }
        if (!Arrays.equals(t.get("dec_mask"), p.decMask())) {
            throw new IllegalArgumentException(wFile + ": dec_mask disagrees with n_a = " + p.nA() + ", n_b = " + p.nB() + " of " + cfgFile.getFileName());
        }
        try {
            return Crosscoder.fromPaperTensors(cfg, t.get("W_enc"), t.get("b_enc"), t.get("W_dec"), t.get("b_dec"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(wFile + ": " + e.getMessage());
        }
    }
}
