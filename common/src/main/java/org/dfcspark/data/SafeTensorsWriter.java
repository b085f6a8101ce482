package org.dfcspark.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file that the Python {@code safetensors} library and HF transformers load.
 * Tensors are written in the order added; the header is padded with spaces to 8 bytes as the
 * reference implementation does. {@link #write} is atomic: a temp file in the same directory is
 * renamed over the target, so a reader never sees a half-written file.
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String name, DType dtype, long[] shape, byte[] data) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** float32 tensor. */
    public SafeTensorsWriter addF32(String name, float[] data, long... shape) {
        check(name, data.length, shape);
        ByteBuffer b = le(data.length * 4L);
        b.asFloatBuffer().put(data);
        return add(name, DType.F32, shape, b.array());
    }

    /** float32 values narrowed to F16 or BF16 (round to nearest even), or kept as F32. */
    public SafeTensorsWriter addFloats(String name, DType dtype, float[] data, long... shape) {
        if (dtype == DType.F32) return addF32(name, data, shape);
        if (dtype != DType.F16 && dtype != DType.BF16) throw new IllegalArgumentException("not a float dtype: " + dtype);
        check(name, data.length, shape);
        ByteBuffer b = le(data.length * 2L);
        for (float f : data) b.putShort(dtype == DType.F16 ? HalfFloats.floatToF16(f) : HalfFloats.floatToBf16(f));
        return add(name, dtype, shape, b.array());
    }

    public SafeTensorsWriter addI64(String name, long[] data, long... shape) {
        check(name, data.length, shape);
        ByteBuffer b = le(data.length * 8L);
        b.asLongBuffer().put(data);
        return add(name, DType.I64, shape, b.array());
    }

    private SafeTensorsWriter add(String name, DType dtype, long[] shape, byte[] data) {
        for (Entry e : entries) if (e.name.equals(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        entries.add(new Entry(name, dtype, shape.clone(), data));
        return this;
    }

    private static void check(String name, long n, long[] shape) {
        long numel = 1;
        for (long s : shape) numel *= s;
        if (numel != n) throw new IllegalArgumentException("tensor " + name + ": " + n + " values for shape " + java.util.Arrays.toString(shape));
    }

    private static ByteBuffer le(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    public void write(Path target) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode s = t.putArray("shape");
            for (long d : e.shape) s.add(d);
            ArrayNode o = t.putArray("data_offsets");
            o.add(offset);
            o.add(offset + e.data.length);
            offset += e.data.length;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] hp = new byte[padded];
        System.arraycopy(h, 0, hp, 0, h.length);
        for (int i = h.length; i < padded; i++) hp[i] = ' ';

        org.dfcspark.io.AtomicOutput.writeFile(target, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(le(8).putLong(padded).array());
                out.write(hp);
                for (Entry e : entries) out.write(e.data);
            }
        });
    }
}
