package org.dfcspark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dfcspark.data.SafeTensors;

/**
 * The tensors of a Hugging Face model directory: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name -> shard file). Files are
 * memory-mapped by {@link SafeTensors}; each tensor is read (and widened from BF16/F16) only when asked for.
 */
final class Checkpoint implements AutoCloseable {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, SafeTensors> fileOf;
    private final Map<String, SafeTensors> open;

    private Checkpoint(Path dir, Map<String, SafeTensors> fileOf, Map<String, SafeTensors> open) {
        this.dir = dir;
        this.fileOf = fileOf;
        this.open = open;
    }

    static Checkpoint open(Path dir) throws IOException {
        Map<String, SafeTensors> open = new LinkedHashMap<>();
        Map<String, SafeTensors> fileOf = new LinkedHashMap<>();
        try {
            Path index = dir.resolve(INDEX);
            if (Files.isRegularFile(index)) {
                JsonNode root;
                try {
                    root = JSON.readTree(index.toFile());
                } catch (IOException e) {
                    throw new ModelFormatException(index + ": not valid JSON");
                }
                JsonNode map = root == null ? null : root.get("weight_map");
                if (map == null || !map.isObject()) throw new ModelFormatException(index + ": missing 'weight_map' object");
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String file = e.getValue().asText();
                    Path shard = dir.resolve(file).normalize();
                    if (!shard.getParent().equals(dir.normalize()) || !Files.isRegularFile(shard)) {
                        throw new ModelFormatException(index + ": shard '" + file + "' (for tensor '" + e.getKey() + "') not found");
                    }
                    SafeTensors st = open.get(file);
                    if (st == null) open.put(file, st = SafeTensors.open(shard));
                    if (!st.contains(e.getKey())) {
                        throw new ModelFormatException(shard + ": tensor '" + e.getKey() + "' listed in " + INDEX + " is not in the file");
                    }
                    fileOf.put(e.getKey(), st);
                }
            } else if (Files.isRegularFile(dir.resolve(SINGLE))) {
                SafeTensors st = SafeTensors.open(dir.resolve(SINGLE));
                open.put(SINGLE, st);
                for (String n : st.names()) fileOf.put(n, st);
            } else if (!Files.isDirectory(dir)) {
                throw new ModelFormatException(dir + ": model directory not found");
            } else {
                throw new ModelFormatException(dir + ": no " + SINGLE + " or " + INDEX + " in the model directory");
            }
        } catch (IOException | RuntimeException e) {
            for (SafeTensors st : open.values()) st.close();
            throw e;
        }
        return new Checkpoint(dir, fileOf, open);
    }

    boolean contains(String name) {
        return fileOf.containsKey(name);
    }

    /** Checks the tensor exists with this shape and a float dtype; returns its element count. */
    long check(String name, long[] shape) throws IOException {
        SafeTensors st = fileOf.get(name);
        if (st == null) throw new ModelFormatException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        SafeTensors.TensorInfo info = st.info(name);
        if (!info.dtype().isFloat()) {
            throw new ModelFormatException(st.path() + ": tensor '" + name + "' has unsupported dtype " + info.dtype()
                    + " (expected F32, BF16, F16 or F64)");
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw new ModelFormatException(st.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return info.numel();
    }

    /** Widens the tensor to float32 into {@code out} from its position. */
    void read(String name, FloatBuffer out) throws IOException {
        fileOf.get(name).readFloats(name, out);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafeTensors st : open.values()) {
            try {
                st.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
