package org.dfcspark.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Set;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code --device cpu|gpu|gpu:N} and {@code --dtype float32|float16} of the model commands. */
final class ModelFlags {
    static final Set<String> FLAGS = Set.of("device", "dtype");
    static final String USAGE = String.join("\n",
            "  --device cpu|gpu|gpu:N   where the model runs (default cpu)",
            "  --dtype float32|float16  weights and activations (default float32; float16 is meant for GPUs)");

    private ModelFlags() {}

    static Device device(Args args) {
        String d = args.get("device", "cpu");
        if (d.equals("cpu")) return Device.cpu();
        if (d.equals("gpu")) return Device.gpu();
        if (d.matches("gpu:\\d+")) return Device.gpu(Integer.parseInt(d.substring(4)));
        throw new UsageException("--device must be cpu, gpu or gpu:N, got '" + d + "'");
    }

    static DataType dtype(Args args) {
        return switch (args.get("dtype", "float32")) {
            case "float32" -> DataType.FLOAT32;
            case "float16" -> DataType.FLOAT16;
            default -> throw new UsageException("--dtype must be float32 or float16, got '" + args.get("dtype") + "'");
        };
    }
}
