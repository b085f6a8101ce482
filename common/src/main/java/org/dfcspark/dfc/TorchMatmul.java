package org.dfcspark.dfc;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one dense product of a step, {@code out = x · wᵀ + bias}, on libtorch (DJL's PyTorch engine): x is
 * (rows × inner), w is (cols × inner) row-major, out is (rows × cols). Everything else of the crosscoder is sparse and
 * runs in Java.
 *
 * <p>Inputs are staged in direct buffers owned by this instance and handed to libtorch without a further copy (DJL
 * wraps a direct buffer in place); the weight buffer is refreshed only when the caller's weight version changed, so
 * inference over many batches copies the weights once. Every call owns and closes its NDManager scope. One instance
 * per thread.
 */
final class TorchMatmul {
    private static volatile Engine engine;

    private ByteBuffer xBuf = alloc(0), wBuf = alloc(0), bBuf = alloc(0);
    private long stagedVersion = Long.MIN_VALUE;
    private float[] stagedWeights;

    static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (TorchMatmul.class) {
                if (engine == null) engine = Engine.getEngine("PyTorch");
                e = engine;
            }
        }
        return e;
    }

    /**
     * @param wVersion changes whenever {@code w} was modified since the last call (the crosscoder's parameter version)
     */
    void linear(float[] x, int rows, int inner, float[] w, long wVersion, int cols, float[] bias, float[] out) {
        if (rows == 0) return;
        xBuf = stage(xBuf, x, rows * inner);
        if (w != stagedWeights || wVersion != stagedVersion || wBuf.capacity() < cols * inner * 4L) {
            wBuf = stage(wBuf, w, cols * inner);
            stagedWeights = w;
            stagedVersion = wVersion;
        }
        if (bias != null) bBuf = stage(bBuf, bias, cols);
        try (NDManager scope = engine().newBaseManager(Device.cpu())) {
            NDArray a = scope.create(xBuf.slice(0, rows * inner * 4).order(ByteOrder.nativeOrder()), new Shape(rows, inner), DataType.FLOAT32);
            NDArray b = scope.create(wBuf.slice(0, cols * inner * 4).order(ByteOrder.nativeOrder()), new Shape(cols, inner), DataType.FLOAT32);
            NDArray y = a.matMul(b.transpose());
            if (bias != null) y.addi(scope.create(bBuf.slice(0, cols * 4).order(ByteOrder.nativeOrder()), new Shape(cols), DataType.FLOAT32));
            ((PtNDArray) y).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out, 0, rows * cols);
        }
    }

    /** One-off product without staging reuse (benchmarks, tests). */
    static void linear(float[] x, int rows, int inner, float[] w, int cols, float[] bias, float[] out) {
        new TorchMatmul().linear(x, rows, inner, w, 0, cols, bias, out);
    }

    private static ByteBuffer stage(ByteBuffer buf, float[] src, int n) {
        if (buf.capacity() < n * 4L) buf = alloc(n * 4L);
        buf.clear();
        buf.asFloatBuffer().put(src, 0, n);
        return buf;
    }

    private static ByteBuffer alloc(long bytes) {
        if (bytes > Integer.MAX_VALUE - 128) throw new IllegalArgumentException("matrix too large for one buffer: " + bytes + " bytes");
        // 64-byte aligned for the BLAS kernels
        // alignedSlice rounds the capacity down to a multiple of 64: over-allocate so at least {@code bytes} remain
        return ByteBuffer.allocateDirect((int) bytes + 128).alignedSlice(64).order(ByteOrder.nativeOrder());
    }
}
