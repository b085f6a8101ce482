package org.dfcspark.dfc;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The one dense product of a training step, {@code out = x · wᵀ + bias}, on libtorch (DJL's PyTorch engine):
 * x is (rows × inner), w is (cols × inner) row-major, out is (rows × cols). Everything else of the crosscoder is
 * sparse and runs in Java. Each call owns and closes its own NDManager scope, so calls from several threads are
 * independent.
 */
final class TorchMatmul {
    private static volatile Engine engine;

    private TorchMatmul() {}

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

    static void linear(float[] x, int rows, int inner, float[] w, int cols, float[] bias, float[] out) {
        if (rows == 0) return;
        try (NDManager scope = engine().newBaseManager(Device.cpu())) {
            NDArray a = scope.create(FloatBuffer.wrap(x, 0, rows * inner), new Shape(rows, inner));
            NDArray b = scope.create(FloatBuffer.wrap(w, 0, cols * inner), new Shape(cols, inner));
            NDArray y = a.matMul(b.transpose());
            if (bias != null) y.addi(scope.create(FloatBuffer.wrap(bias, 0, cols), new Shape(cols)));
            y.toByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer().get(out, 0, rows * cols);
        }
    }
}
