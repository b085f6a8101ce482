package org.dfcspark.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.model.ForwardResult;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

/**
 * {@code bin/dfc forward}: hidden states, last layer output and logits of token sequences, in HF transformers'
 * {@code output_hidden_states} convention, into one safetensors file.
 */
public final class ForwardCommand implements Command {
    @Override
    public String summary() {
        return "run a Qwen2 model on token sequences; write hidden states and logits (HF convention)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc forward --model DIR (--ids \"1 2 3;4 5\" | --text TEXT | --chat FILE.json) --out OUT.safetensors",
                "",
                "  --model DIR         Hugging Face Qwen2 directory (config.json + model.safetensors or shards)",
                TokenInputs.USAGE,
                "  --out FILE          safetensors written atomically; for sequence i (0-based), float32:",
                "                        hidden_states.i      (num_layers+1, T_i, d): [0] embeddings, [k] output of",
                "                                             layer k-1, [last] final RMSNorm of the last layer",
                "                        last_layer_output.i  (T_i, d): last decoder layer output before the norm",
                "                        logits.i             (T_i, vocab)",
                "  --batch-size N      sequences per forward, left-padded (default 8)",
                ModelFlags.USAGE);
    }

    @Override
    public Set<String> valuedFlags() {
        Set<String> s = new HashSet<>(Set.of("model", "out", "batch-size"));
        s.addAll(TokenInputs.FLAGS);
        s.addAll(ModelFlags.FLAGS);
        return s;
    }

    @Override
    public int run(Args args) throws Exception {
        Path modelDir = Path.of(args.require("model"));
        Path out = Path.of(args.require("out"));
        int batchSize = args.getInt("batch-size", 8);
        if (batchSize < 1) throw new UsageException("--batch-size must be >= 1");
        List<int[]> seqs = TokenInputs.read(args, modelDir);
        long start = System.nanoTime();
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        try (Qwen2Model model = Qwen2Model.load(modelDir, ModelFlags.device(args), ModelFlags.dtype(args))) {
            Qwen2Config c = model.config();
            int layers = c.numHiddenLayers(), d = c.hiddenSize(), vocab = c.vocabSize();
            List<Intervention> captures = new ArrayList<>();
            captures.add(Intervention.capture(HookPoint.residPre(0), Positions.all()));
            for (int l = 0; l < layers; l++) captures.add(Intervention.capture(HookPoint.residPost(l), Positions.all()));
            captures.add(Intervention.capture(HookPoint.finalNorm(), Positions.all()));
            for (int from = 0; from < seqs.size(); from += batchSize) {
                List<int[]> chunk = seqs.subList(from, Math.min(seqs.size(), from + batchSize));
                TokenBatch batch = TokenBatch.leftPadded(chunk, 0);
                try (NDManager scope = NDManager.newBaseManager(model.device())) {
                    ForwardResult r = model.forward(scope, batch, captures);
                    // HF hidden_states: embeddings, outputs of layers 0..L-2, final norm of the last layer's output
                    List<float[]> hidden = new ArrayList<>();
                    hidden.add(floats(r.captured(HookPoint.residPre(0))));
                    for (int l = 0; l < layers - 1; l++) hidden.add(floats(r.captured(HookPoint.residPost(l))));
                    hidden.add(floats(r.captured(HookPoint.finalNorm())));
                    float[] last = floats(r.captured(HookPoint.residPost(layers - 1)));
                    float[] logits = floats(r.logits());
                    int width = batch.width();
                    for (int b = 0; b < chunk.size(); b++) {
                        int i = from + b, pad = batch.padCount(b), t = batch.length(b);
                        float[] hs = new float[(layers + 1) * t * d];
                        for (int k = 0; k <= layers; k++) {
                            System.arraycopy(hidden.get(k), (b * width + pad) * d, hs, k * t * d, t * d);
                        }
                        w.addF32("hidden_states." + i, hs, layers + 1, t, d);
                        w.addF32("last_layer_output." + i, slice(last, (b * width + pad) * d, t * d), t, d);
                        w.addF32("logits." + i, slice(logits, (long) (b * width + pad) * vocab, (long) t * vocab), t, vocab);
                    }
                }
            }
        }
        w.write(out);
        int tokens = seqs.stream().mapToInt(s -> s.length).sum();
        System.out.printf("forward: %d sequences, %d tokens in %.2f s -> %s%n", seqs.size(), tokens,
                (System.nanoTime() - start) / 1e9, out);
        return 0;
    }

    static float[] floats(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static float[] slice(float[] a, long from, long n) {
        float[] out = new float[Math.toIntExact(n)];
        System.arraycopy(a, Math.toIntExact(from), out, 0, out.length);
        return out;
    }
}
