package org.dfcspark.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader of one safetensors file: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the data.
 *
 * <p>The header is validated completely before any tensor is read (length within the file and at most
 * 100 MB, valid JSON, supported dtypes, offsets inside the data section, sizes equal to shape × dtype,
 * no overlaps), so a corrupt file fails with one line naming the file and tensor and nothing is ever
 * read beyond the end of the file. Tensor data is memory-mapped per tensor: a 6 GB checkpoint is never
 * copied whole onto the heap.
 */
public final class SafeTensors implements AutoCloseable {
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where one tensor lives: offsets are relative to the start of the data section. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                        Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path path) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafeTensorsFormatException(path + ": file not found");
        }
        try {
            return parse(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SafeTensors parse(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw bad(path, "truncated: " + size + " bytes, shorter than the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
            throw bad(path, "header length " + Long.toUnsignedString(headerLen) + " exceeds the 100 MB limit");
        }
        if (8 + headerLen > size) {
            throw bad(path, "truncated: header length " + headerLen + " runs beyond the end of the file (" + size + " bytes)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8);
        String headerText = new String(hb.array(), StandardCharsets.UTF_8);
        JsonNode header;
        try {
            header = JSON.readTree(headerText);
        } catch (IOException e) {
            throw bad(path, "header is not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (header == null || !header.isObject()) throw bad(path, "header is not a JSON object");

        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw bad(path, "__metadata__ is not an object");
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, parseEntry(path, name, v, dataSize));
        }
        checkNoOverlap(path, tensors.values());
        return new SafeTensors(path, ch, dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v, long dataSize) throws SafeTensorsFormatException {
        if (!v.isObject()) throw bad(path, "tensor '" + name + "': entry is not an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || sh == null || off == null || !sh.isArray() || !off.isArray() || off.size() != 2) {
            throw bad(path, "tensor '" + name + "': entry needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = DType.fromHeader(dt.asText());
        if (dtype == null) throw bad(path, "tensor '" + name + "': unsupported dtype " + dt.asText());
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) {
                throw bad(path, "tensor '" + name + "': bad shape " + sh);
            }
            shape[i] = sh.get(i).asLong();
            numel = Math.multiplyExact(numel, shape[i]);
        }
        if (!off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw bad(path, "tensor '" + name + "': data_offsets are not integers");
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(path, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] out of range of the data section (" + dataSize + " bytes)");
        }
        if (end - begin != numel * dtype.bytes) {
            throw bad(path, "tensor '" + name + "': " + (end - begin) + " bytes for shape " + sh + " of " + dtype
                    + " (expected " + numel * dtype.bytes + ")");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, java.util.Collection<TensorInfo> infos) throws SafeTensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw bad(path, "tensors '" + a.name() + "' and '" + b.name() + "' overlap in the data section");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) throws SafeTensorsFormatException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw bad(path, "no tensor named '" + name + "'");
        return t;
    }

    /** The tensor's bytes, memory-mapped, little-endian; no copy. */
    public ByteBuffer bytes(String name) throws IOException {
        TensorInfo t = info(name);
        long len = t.end() - t.begin();
        if (len > Integer.MAX_VALUE) throw bad(path, "tensor '" + name + "' is larger than 2 GB; split the checkpoint into shards");
        if (len == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), len).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A float tensor widened to float32 into a new direct buffer (native order), ready for an NDArray. */
    public FloatBuffer floatsDirect(String name) throws IOException {
        TensorInfo t = info(name);
        FloatBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(t.numel() * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        widenInto(t, bytes(name), out);
        return out.flip();
    }

    /**
     * Widens a float tensor to float32 into {@code out} (from its position; {@code numel} floats). Lets a caller
     * reuse one buffer for many tensors instead of allocating one per tensor.
     */
    public void readFloats(String name, FloatBuffer out) throws IOException {
        TensorInfo t = info(name);
        if (out.remaining() < t.numel()) {
            throw new IllegalArgumentException("buffer has room for " + out.remaining() + " floats, tensor '" + name + "' has " + t.numel());
        }
        widenInto(t, bytes(name), out);
    }

    /** A float tensor widened to float32 on the heap (small tensors). */
    public float[] floats(String name) throws IOException {
        TensorInfo t = info(name);
        float[] out = new float[Math.toIntExact(t.numel())];
        widenInto(t, bytes(name), FloatBuffer.wrap(out));
        return out;
    }

    private void widenInto(TensorInfo t, ByteBuffer src, FloatBuffer out) throws SafeTensorsFormatException {
        int n = Math.toIntExact(t.numel());
        switch (t.dtype()) {
            case F32 -> out.put(src.asFloatBuffer());
            case F64 -> { for (int i = 0; i < n; i++) out.put((float) src.getDouble(i * 8)); }
            case BF16 -> { for (int i = 0; i < n; i++) out.put(HalfFloats.bf16ToFloat(src.getShort(i * 2))); }
            case F16 -> { for (int i = 0; i < n; i++) out.put(HalfFloats.f16ToFloat(src.getShort(i * 2))); }
            default -> throw bad(path, "tensor '" + t.name() + "' has dtype " + t.dtype() + ", expected a float type");
        }
    }

    /** An integer tensor (I64, I32, I16, I8, U8, BOOL; also whole-number float tensors) as longs. */
    public long[] longs(String name) throws IOException {
        TensorInfo t = info(name);
        ByteBuffer src = bytes(name);
        int n = Math.toIntExact(t.numel());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (t.dtype()) {
                case I64 -> src.getLong(i * 8);
                case I32 -> src.getInt(i * 4);
                case I16 -> src.getShort(i * 2);
                case I8 -> src.get(i);
                case U8, BOOL -> src.get(i) & 0xFF;
                default -> {
                    float f = t.dtype() == DType.F32 ? src.getFloat(i * 4) : Float.NaN;
                    if (f != Math.rint(f)) throw bad(path, "tensor '" + name + "' has dtype " + t.dtype() + ", expected integers");
                    yield (long) f;
                }
            };
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw new IOException("unexpected end of file");
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    static SafeTensorsFormatException bad(Path path, String what) {
        return new SafeTensorsFormatException(path + ": " + what);
    }
}
