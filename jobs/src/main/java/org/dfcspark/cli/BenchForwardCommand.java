package org.dfcspark.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dfcspark.jobs.PythonReference;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.model.ForwardBenchmark;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;

/**
 * {@code bin/dfc bench forward}: prefill and decode throughput on a random Qwen2 of the given shape (default
 * Qwen2.5-0.5B), optionally beside HF transformers eager on the same shapes in the same run.
 */
public final class BenchForwardCommand implements Command {
    private static final String[] SHAPE = {"hidden", "layers", "heads", "kv-heads", "intermediate", "vocab"};
    private static final int[] QWEN25_05B = {896, 24, 14, 2, 4864, 151936};

    @Override
    public String summary() {
        return "benchmark prefill/decode tokens per second on a random Qwen2 (vs HF transformers)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc bench forward [--with-reference PYTHON] [shape and run flags]",
                "",
                "  Shape (default Qwen2.5-0.5B): --hidden 896 --layers 24 --heads 14 --kv-heads 2 --intermediate 4864",
                "                                --vocab 151936 (random weights made at run time, float32, CPU)",
                "  --batch 8 --prompt-len 256    prefill: one forward over batch x prompt-len tokens, logits everywhere, then at",
                "                                the last position only",
                "  --decode-steps 32             decode: greedy steps with the KV cache after a prompt-len prompt",
                "  --repeats 3                   median of this many runs, after a warm-up",
                "  --threads 2                   libtorch intra-op threads (both sides)",
                "  --with-reference PYTHON       then run tools/reference/bench_forward_hf.py with this interpreter",
                "                                (needs torch + transformers) and print dfc / HF ratios",
                "",
                "Targets: prefill >= 1.0x and decode >= 0.8x of HF transformers eager.");
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("hidden", "layers", "heads", "kv-heads", "intermediate", "vocab", "batch", "prompt-len", "decode-steps",
                "repeats", "threads", "seed", "with-reference");
    }

    @Override
    public int run(Args args) throws Exception {
        int[] shape = new int[SHAPE.length];
        for (int i = 0; i < SHAPE.length; i++) {
            shape[i] = args.getInt(SHAPE[i], QWEN25_05B[i]);
            if (shape[i] < 1) throw new UsageException("--" + SHAPE[i] + " must be >= 1");
        }
        int batch = positive(args, "batch", 8), promptLen = positive(args, "prompt-len", 256);
        int steps = positive(args, "decode-steps", 32), repeats = positive(args, "repeats", 3), threads = positive(args, "threads", 2);
        long seed = args.getLong("seed", 0);
        String python = args.get("with-reference");
        if (python != null) PythonReference.script("bench_forward_hf.py"); // fail before our half of the run
        Qwen2Config cfg;
        try {
            cfg = Qwen2Config.builder().hiddenSize(shape[0]).numHiddenLayers(shape[1]).numAttentionHeads(shape[2])
                    .numKeyValueHeads(shape[3]).intermediateSize(shape[4]).vocabSize(shape[5]).build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }

        Engine.getInstance(); // loads libtorch before the thread count is set
        JniUtils.setNumThreads(threads);
        System.out.printf("bench forward: %s%n  batch %d, prompt %d, %d decode steps, %d threads, median of %d, OMP_WAIT_POLICY=%s, allocator: %s%n",
                cfg, batch, promptLen, steps, threads, repeats, System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"),
                PythonReference.allocatorSettings());
        long t = System.nanoTime();
        ForwardBenchmark.Result ours;
        try (Qwen2Model model = Qwen2Model.random(cfg, Device.cpu(), seed)) {
            System.out.printf("  random model made in %.1f s%n", (System.nanoTime() - t) / 1e9);
            ours = ForwardBenchmark.run(model, batch, promptLen, steps, repeats, seed);
        }
        double copy = ForwardBenchmark.copyBandwidth();
        System.out.printf("dfc (%s prefill, %s decode):  prefill %8.1f tok/s (%.2f s), last-position logits %8.1f tok/s   decode %7.1f tok/s (%.1f ms/step)%n",
                org.dfcspark.simd.VecOps.WIDE ? "DJL/libtorch + Java products" : "DJL/libtorch", ours.decodeEngine(), ours.prefillTokensPerSecond(), ours.prefillSeconds(), ours.lastLogitsPrefillTokensPerSecond(),
                ours.decodeTokensPerSecond(), ours.decodeSecondsPerStep() * 1e3);
        System.out.printf("  decode reads the weights at %.1f GB/s; this machine copies memory at %.1f GB/s (System.arraycopy, 256 MB)%n",
                ours.weightGBps(), copy / 1e9);
        System.out.printf("  decode with libtorch's step instead: %7.1f tok/s (the Java step is %.2fx)%n", ours.libtorchDecodeTokensPerSecond(),
                ours.decodeTokensPerSecond() / ours.libtorchDecodeTokensPerSecond());
        if (python == null) return 0;

        List<String> refArgs = new ArrayList<>(List.of("--batch", "" + batch, "--prompt-len", "" + promptLen,
                "--decode-steps", "" + steps, "--repeats", "" + repeats, "--threads", "" + threads, "--seed", "" + seed));
        for (int i = 0; i < SHAPE.length; i++) {
            refArgs.add("--" + SHAPE[i]);
            refArgs.add("" + shape[i]);
        }
        for (PythonReference.Allocator allocator : PythonReference.allocators()) {
            List<JsonNode> out = PythonReference.run(python, "bench_forward_hf.py", refArgs, allocator, 120);
            JsonNode hf = out.get(out.size() - 1);
            double hp = hf.get("prefill_tok_s").asDouble(), hl = hf.get("prefill_last_tok_s").asDouble(), hd = hf.get("decode_tok_s").asDouble();
            System.out.printf("HF transformers %s (torch %s, eager; %s):  prefill %8.1f tok/s, last-position logits %8.1f tok/s   decode %7.1f tok/s%n",
                    hf.get("transformers").asText(), hf.get("torch").asText(), allocator.description, hp, hl, hd);
            System.out.printf("  ratio dfc / HF:  prefill %.2fx, last-position logits %.2fx (target >= 1.0 each)   decode %.2fx (target >= 2 at batch 8, >= 1.5 at 32 and 64)%n",
                    ours.prefillTokensPerSecond() / hp, ours.lastLogitsPrefillTokensPerSecond() / hl, ours.decodeTokensPerSecond() / hd);
        }
        return 0;
    }

    private static int positive(Args args, String flag, int dflt) {
        int v = args.getInt(flag, dflt);
        if (v < 1) throw new UsageException("--" + flag + " must be >= 1");
        return v;
    }
}
