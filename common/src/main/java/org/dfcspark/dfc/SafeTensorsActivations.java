package org.dfcspark.dfc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.dfcspark.data.DType;
import org.dfcspark.data.HalfFloats;
import org.dfcspark.data.SafeTensors;

/**
 * Paired activations stored as one {@code (N, 2, d)} float tensor (F32, F16, BF16 or F64) of a safetensors file,
 * memory-mapped and widened to float32 row by row. Addressed as {@code FILE.safetensors#NAME}.
 */
public final class SafeTensorsActivations implements ActivationSource, AutoCloseable {
    private final SafeTensors file;
    private final String name;
    private final DType dtype;
    private final ByteBuffer data;
    private final int n;
    private final int d;

    private SafeTensorsActivations(SafeTensors file, String name) throws IOException {
        this.file = file;
        this.name = name;
        SafeTensors.TensorInfo info = file.info(name);
        long[] shape = info.shape();
        if (shape.length != 3 || shape[1] != 2 || shape[0] < 1 || shape[2] < 1) {
            throw new IllegalArgumentException(file.path() + "#" + name + ": expected paired activations of shape (N, 2, d), got "
                    + Arrays.toString(shape));
        }
        if (!info.dtype().isFloat()) throw new IllegalArgumentException(file.path() + "#" + name + ": dtype " + info.dtype() + " is not a float type");
        if (shape[0] > Integer.MAX_VALUE || shape[2] > Integer.MAX_VALUE / 2) throw new IllegalArgumentException(file.path() + "#" + name + ": too large");
        this.dtype = info.dtype();
        this.n = (int) shape[0];
        this.d = (int) shape[2];
        this.data = file.bytes(name);
    }

    /** Opens {@code FILE#NAME}; without {@code #NAME} the file must hold exactly one tensor. */
    public static SafeTensorsActivations open(String spec) throws IOException {
        int hash = spec.lastIndexOf('#');
        Path path = Path.of(hash < 0 ? spec : spec.substring(0, hash));
        SafeTensors st = SafeTensors.open(path);
        try {
            String name;
            if (hash >= 0) {
                name = spec.substring(hash + 1);
                if (!st.contains(name)) throw new IllegalArgumentException(path + ": no tensor named '" + name + "' (has " + st.names() + ")");
            } else if (st.names().size() == 1) {
                name = st.names().get(0);
            } else {
                throw new IllegalArgumentException(path + ": holds " + st.names().size() + " tensors " + st.names() + "; say which with FILE#NAME");
            }
            return new SafeTensorsActivations(st, name);
        } catch (IOException | RuntimeException e) {
            st.close();
            throw e;
        }
    }

    @Override
    public int rows() {
        return n;
    }

    @Override
    public int dim() {
        return d;
    }

    @Override
    public void read(int[] rowIds, int count, float[] out) {
        int w = 2 * d;
        for (int r = 0; r < count; r++) {
            int row = rowIds[r];
            if (row < 0 || row >= n) throw new IndexOutOfBoundsException(describe() + ": row " + row + " of " + n);
            long base = (long) row * w;
            int o = r * w;
            switch (dtype) {
                case F32 -> { for (int i = 0; i < w; i++) out[o + i] = data.getFloat((int) ((base + i) * 4)); }
                case F16 -> { for (int i = 0; i < w; i++) out[o + i] = HalfFloats.f16ToFloat(data.getShort((int) ((base + i) * 2))); }
                case BF16 -> { for (int i = 0; i < w; i++) out[o + i] = HalfFloats.bf16ToFloat(data.getShort((int) ((base + i) * 2))); }
                case F64 -> { for (int i = 0; i < w; i++) out[o + i] = (float) data.getDouble((int) ((base + i) * 8)); }
                default -> throw new IllegalStateException("unreachable: " + dtype);
            }
        }
    }

    @Override
    public String describe() {
        return file.path() + "#" + name;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
