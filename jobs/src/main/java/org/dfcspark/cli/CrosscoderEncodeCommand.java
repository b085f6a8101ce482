package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.SafeTensorsActivations;
import org.dfcspark.jobs.options.Args;

/** {@code bin/dfc crosscoder encode}: raw (N,2,d) activations -> features (N,D) and raw reconstruction (N,2,d). */
public final class CrosscoderEncodeCommand implements Command {
    private static final int BATCH = 1024;

    @Override
    public String summary() {
        return "encode raw paired activations with a crosscoder checkpoint (features + reconstruction)";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc crosscoder encode --checkpoint DIR --input FILE.safetensors#NAME --out OUT.safetensors [--threads N]
                  --input   raw activations of shape (N, 2, d) (F32/F16/BF16); index 0 = model A, 1 = model B
                  --out     writes 'features' (N, D) and 'reconstruction' (N, 2, d), float32, raw units
                The checkpoint's normalisation is applied before encoding and inverted after decoding.""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("checkpoint", "input", "out", "threads");
    }

    @Override
    public int run(Args args) throws Exception {
        Path ckpt = Path.of(args.require("checkpoint"));
        String input = args.require("input");
        Path out = Path.of(args.require("out"));
        int threads = CrosscoderCli.threads(args);
        org.dfcspark.dfc.CheckpointState.requireFinished(ckpt, "crosscoder encode");
        Crosscoder cc = Checkpoint.load(ckpt);
        try (SafeTensorsActivations src = SafeTensorsActivations.open(input)) {
            int d = cc.activationDim(), dict = cc.dictSize(), n = src.rows(), w = 2 * d;
            if (src.dim() != d) {
                throw new IllegalArgumentException(src.describe() + ": activation dim " + src.dim() + " but the crosscoder " + ckpt + " has " + d);
            }
            if ((long) n * dict > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(src.describe() + ": " + n + " rows × " + dict + " features do not fit one output tensor; split the input");
            }
            float[] features = new float[n * dict], recon = new float[n * w], buf = new float[BATCH * w];
            BatchStep step = new BatchStep(cc, threads);
            for (int start = 0; start < n; start += BATCH) {
                int c = Math.min(BATCH, n - start);
                src.readRange(start, c, buf);
                for (int i = 0; i < c * w; i++) {
                    if (!Float.isFinite(buf[i])) {
                        throw new IllegalArgumentException(src.describe() + ": row " + (start + i / w) + " contains " + buf[i]);
                    }
                }
                BatchStep.Encoded e = step.encode(buf, c);
                System.arraycopy(e.features().toDense(), 0, features, start * dict, c * dict);
                System.arraycopy(e.reconstruction(), 0, recon, start * w, c * w);
            }
            new SafeTensorsWriter()
                    .metadata("checkpoint", ckpt.toString())
                    .addF32("features", features, n, dict)
                    .addF32("reconstruction", recon, n, 2, d)
                    .write(out);
            System.out.println("encoded " + n + " rows with " + ckpt + " -> " + out + " (features " + n + "x" + dict + ", reconstruction " + n + "x2x" + d + ")");
        }
        return 0;
    }

    /** Refuses activations with a NaN/Inf value, naming the first row (as encode does row by row). */
    static void requireFinite(SafeTensorsActivations src) throws java.io.IOException {
        int w = 2 * src.dim();
        float[] buf = new float[BATCH * w];
        for (int start = 0; start < src.rows(); start += BATCH) {
            int c = Math.min(BATCH, src.rows() - start);
            src.readRange(start, c, buf);
            for (int i = 0; i < c * w; i++) {
                if (!Float.isFinite(buf[i])) throw new IllegalArgumentException(src.describe() + ": row " + (start + i / w) + " contains " + buf[i]);
            }
        }
    }
}
