package org.dfcspark.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.dfcspark.data.DType;
import org.dfcspark.data.HalfFloats;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.simd.VecOps;

/**
 * Qwen2 / Qwen2.5 decoder ({@code Qwen2ForCausalLM}) on DJL NDArrays, computing what HF transformers'
 * {@code modeling_qwen2.py} computes (eager attention): RMSNorm, rotate-half RoPE with {@code rope_theta}, grouped
 * query attention with q/k/v biases, SwiGLU MLP, tied or untied {@code lm_head}; batched with left padding.
 *
 * <p>Weights are kept in HF layout under HF names ({@link #parameters()}), so the same tensors serve inference,
 * training ({@code setRequiresGradient}) and {@link #save}. Every intermediate of a forward lives in a sub-manager
 * of the caller's scope that is closed before returning; only logits and captures are attached to the scope.
 * A model is immutable after loading and may be shared by threads (see {@link ModelCache}).
 */
public final class Qwen2Model implements AutoCloseable {
    /** Which logits a forward computes: every position, the last column only (generation), or none. */
    public enum Logits { ALL, LAST, NONE }

    private final Qwen2Config config;
    private final Device device;
    private final DataType dtype;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray embed;
    private final NDArray finalNorm;
    private final NDArray lmHead;
    private final Layer[] layers;
    private final NDArray invFreq;
    /** 1/sqrt(head_dim) as a model-owned 0-d array: see the note in {@link #layer}. */
    private final NDArray attentionScale;
    private final float maskValue;
    private volatile boolean shared;
    private PackedModel packed;
    private boolean packedRefused;
    /** Outputs (floats) per chunk of rows of a Java product: 64 MB (tests set fewer). */
    long productChunkFloats = 16L << 20;
    /** Each thread's input and output arrays of the Java products, grown as needed (a chunk's: ~64 MB each). */
    private static final ThreadLocal<float[][]> PRODUCT_ARRAYS = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});
    /** Off: every product of a forward on libtorch (tests compare the two). */
    private volatile boolean javaProducts = true;

    /** One decoder layer's weights (HF layout: linear weights are (out, in)). */
    private record Layer(NDArray inputNorm, NDArray qW, NDArray qB, NDArray kW, NDArray kB, NDArray vW, NDArray vB,
                         NDArray oW, NDArray postNorm, NDArray gateW, NDArray upW, NDArray downW) {}

    private Qwen2Model(Qwen2Config config, Device device, DataType dtype, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.device = device;
        this.dtype = dtype;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(params);
        this.embed = params.get("model.embed_tokens.weight");
        this.finalNorm = params.get("model.norm.weight");
        this.lmHead = config.tieWordEmbeddings() ? embed : params.get("lm_head.weight");
        this.layers = new Layer[config.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            layers[l] = new Layer(params.get(p + "input_layernorm.weight"),
                    params.get(p + "self_attn.q_proj.weight"), params.get(p + "self_attn.q_proj.bias"),
                    params.get(p + "self_attn.k_proj.weight"), params.get(p + "self_attn.k_proj.bias"),
                    params.get(p + "self_attn.v_proj.weight"), params.get(p + "self_attn.v_proj.bias"),
                    params.get(p + "self_attn.o_proj.weight"), params.get(p + "post_attention_layernorm.weight"),
                    params.get(p + "mlp.gate_proj.weight"), params.get(p + "mlp.up_proj.weight"),
                    params.get(p + "mlp.down_proj.weight"));
        }
        this.invFreq = manager.create(inverseFrequencies(config));
        NDArray scale = manager.create((float) (1.0 / Math.sqrt(config.headDim())));
        this.attentionScale = dtype == DataType.FLOAT32 ? scale : scale.toType(dtype, false);
        this.maskValue = dtype == DataType.FLOAT16 ? -65504f : -Float.MAX_VALUE; // torch.finfo(dtype).min, as HF
    }

    // ------------------------------------------------------------------------------------------------ creation

    /** Loads an HF model directory in float32. */
    public static Qwen2Model load(Path dir, Device device) throws IOException {
        return load(dir, device, DataType.FLOAT32);
    }

    /**
     * Loads an HF model directory; {@code dtype} is FLOAT32 or FLOAT16 (a GPU option; BF16 is widened or narrowed
     * in Java because DJL 0.35.1's PyTorch engine aborts the JVM on BF16 arrays).
     */
    public static Qwen2Model load(Path dir, Device device, DataType dtype) throws IOException {
        Qwen2Config cfg = Qwen2Config.load(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            List<ParamSpec> specs = specs(cfg);
            long largest = 0;
            for (ParamSpec s : specs) largest = Math.max(largest, ckpt.check(s.name, s.shape));
            Tensors t = new Tensors(device, dtype, largest);
            try {
                for (ParamSpec s : specs) t.add(s, buf -> ckpt.read(s.name, buf));
                return new Qwen2Model(cfg, device, dtype, t.manager, t.params);
            } catch (IOException | RuntimeException e) {
                t.manager.close();
                throw e;
            }
        }
    }

    /**
     * Opens everything {@link #load} would read without reading the weights: config.json, every safetensors header
     * (a truncated file is refused here) and the table of tensors (names, shapes, dtypes). Cheap; a job's preflight.
     */
    public static Qwen2Config validate(Path dir) throws IOException {
        Qwen2Config cfg = Qwen2Config.load(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (ParamSpec s : specs(cfg)) ckpt.check(s.name, s.shape);
        }
        return cfg;
    }

    /**
     * A model with HF's initialisation ({@code _init_weights}): linear and embedding weights N(0, 0.02), biases 0,
     * RMSNorm weights 1. Deterministic in {@code seed} (each tensor draws from its own stream, seeded by name).
     */
    public static Qwen2Model random(Qwen2Config cfg, Device device, long seed) {
        return random(cfg, device, DataType.FLOAT32, seed, 0.02);
    }

    public static Qwen2Model random(Qwen2Config cfg, Device device, DataType dtype, long seed, double std) {
        List<ParamSpec> specs = specs(cfg);
        long largest = specs.stream().mapToLong(ParamSpec::numel).max().orElse(1);
        Tensors t = new Tensors(device, dtype, largest);
        try {
            for (ParamSpec s : specs) {
                t.add(s, buf -> {
                    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + s.name.hashCode());
                    long n = s.numel();
                    switch (s.init) {
                        case NORMAL -> { for (long i = 0; i < n; i++) buf.put((float) (rng.nextGaussian() * std)); }
                        case ZEROS -> { for (long i = 0; i < n; i++) buf.put(0f); }
                        case ONES -> { for (long i = 0; i < n; i++) buf.put(1f); }
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            t.manager.close();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        return new Qwen2Model(cfg, device, dtype, t.manager, t.params);
    }

    private enum Init { NORMAL, ZEROS, ONES }

    private record ParamSpec(String name, long[] shape, Init init) {
        long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    /** Every parameter of a Qwen2ForCausalLM in HF's order, with its shape implied by the config. */
    private static List<ParamSpec> specs(Qwen2Config c) {
        long d = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        long inter = c.intermediateSize(), vocab = c.vocabSize();
        List<ParamSpec> s = new ArrayList<>();
        s.add(new ParamSpec("model.embed_tokens.weight", new long[] {vocab, d}, Init.NORMAL));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            s.add(new ParamSpec(p + "input_layernorm.weight", new long[] {d}, Init.ONES));
            s.add(new ParamSpec(p + "self_attn.q_proj.weight", new long[] {q, d}, Init.NORMAL));
            s.add(new ParamSpec(p + "self_attn.q_proj.bias", new long[] {q}, Init.ZEROS));
            s.add(new ParamSpec(p + "self_attn.k_proj.weight", new long[] {kv, d}, Init.NORMAL));
            s.add(new ParamSpec(p + "self_attn.k_proj.bias", new long[] {kv}, Init.ZEROS));
            s.add(new ParamSpec(p + "self_attn.v_proj.weight", new long[] {kv, d}, Init.NORMAL));
            s.add(new ParamSpec(p + "self_attn.v_proj.bias", new long[] {kv}, Init.ZEROS));
            s.add(new ParamSpec(p + "self_attn.o_proj.weight", new long[] {d, q}, Init.NORMAL));
            s.add(new ParamSpec(p + "post_attention_layernorm.weight", new long[] {d}, Init.ONES));
            s.add(new ParamSpec(p + "mlp.gate_proj.weight", new long[] {inter, d}, Init.NORMAL));
            s.add(new ParamSpec(p + "mlp.up_proj.weight", new long[] {inter, d}, Init.NORMAL));
            s.add(new ParamSpec(p + "mlp.down_proj.weight", new long[] {d, inter}, Init.NORMAL));
        }
        s.add(new ParamSpec("model.norm.weight", new long[] {d}, Init.ONES));
        if (!c.tieWordEmbeddings()) s.add(new ParamSpec("lm_head.weight", new long[] {vocab, d}, Init.NORMAL));
        return s;
    }

    private interface Filler {
        void fill(FloatBuffer out) throws IOException;
    }

    /**
     * Builds parameter arrays through one reusable direct buffer: values are written as float32, narrowed in place
     * for FLOAT16, wrapped without copy, then cloned into libtorch-owned memory (or copied to the GPU), so the JVM
     * never holds more than the largest tensor.
     */
    private static final class Tensors {
        final NDManager manager;
        final DataType dtype;
        final ByteBuffer scratch;
        final Map<String, NDArray> params = new LinkedHashMap<>();

        Tensors(Device device, DataType dtype, long largestNumel) {
            if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
                throw new IllegalArgumentException("model dtype must be FLOAT32 or FLOAT16, got " + dtype);
            }
            this.manager = NDManager.newBaseManager(device);
            this.dtype = dtype;
            this.scratch = ByteBuffer.allocateDirect(Math.toIntExact(largestNumel * 4)).order(ByteOrder.nativeOrder());
        }

        void add(ParamSpec s, Filler filler) throws IOException {
            int n = Math.toIntExact(s.numel());
            scratch.clear();
            FloatBuffer f = scratch.asFloatBuffer();
            filler.fill(f);
            if (f.position() != n) throw new IllegalStateException(s.name + ": filled " + f.position() + " of " + n + " values");
            if (dtype == DataType.FLOAT16) {
                // In place: half i goes to bytes [2i, 2i+2), never beyond float i's bytes [4i, 4i+4), so no unread
                // float is overwritten.
                for (int i = 0; i < n; i++) scratch.putShort(2 * i, HalfFloats.floatToF16(scratch.getFloat(4 * i)));
            }
            ByteBuffer view = scratch.duplicate().order(ByteOrder.nativeOrder());
            view.position(0).limit(n * dtype.getNumOfBytes());
            NDArray arr;
            try (NDArray wrapped = manager.create(view.slice().order(ByteOrder.nativeOrder()), new Shape(s.shape), dtype)) {
                arr = wrapped.duplicate(); // own memory: the scratch buffer is reused for the next tensor
            }
            arr.setName(s.name);
            params.put(s.name, arr);
        }
    }

    private static float[] inverseFrequencies(Qwen2Config c) {
        int half = c.headDim() / 2;
        float[] f = new float[half];
        // HF: 1 / base ** (arange(0, dim, 2).float() / dim), in float32
        for (int i = 0; i < half; i++) f[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (float) (2 * i) / (float) c.headDim()));
        return f;
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public Qwen2Config config() {
        return config;
    }

    public Device device() {
        return device;
    }

    public DataType dataType() {
        return dtype;
    }

    /**
     * The parameters by HF tensor name, in HF order ({@code lm_head.weight} only when untied). The arrays are the
     * model's own: a training loop may {@code setRequiresGradient(true)} and update them in place.
     */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /**
     * The weights packed for {@link CpuDecoder}, built on first use; null when the Java decode step does not apply:
     * a GPU or float16 model, or a heap without room for a second copy of the weights (then libtorch decodes).
     */
    synchronized PackedModel packed() {
        if (packed != null || packedRefused) return packed;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (device.isGpu() || dtype != DataType.FLOAT32 || PackedModel.bytes(config) > free / 2) {
            packedRefused = true;
            return null;
        }
        packed = new PackedModel(config, parameters, invFreq.toFloatArray());
        return packed;
    }

    /** Whether a forward may run its large products in Java ({@link #linear}); on by default. */
    void javaProducts(boolean on) {
        javaProducts = on;
    }

    // ------------------------------------------------------------------------------------------------ forward

    /** Forward with logits at every position. */
    public ForwardResult forward(NDManager scope, TokenBatch batch, List<Intervention> interventions) {
        return forward(scope, batch, interventions, Logits.ALL);
    }

    /**
     * Forward of a left-padded batch (no cache). Logits (B, T, V) for ALL, (B, 1, V) for LAST; with NONE the pass
     * stops after the deepest layer an intervention reads or edits (cheap activation harvesting). Captures are
     * described at {@link ForwardResult#captured}. Works under DJL autograd: logits keep their graph to the
     * parameters.
     */
    public ForwardResult forward(NDManager scope, TokenBatch batch, List<Intervention> interventions, Logits logits) {
        batch.checkVocab(config.vocabSize());
        checkScope(scope);
        int[] columnZero = new int[batch.batchSize()];
        for (int b = 0; b < columnZero.length; b++) columnZero[b] = -batch.padCount(b);
        StepHooks hooks = new StepHooks(interventions, true, batch.width(), batch.lengths(), config).at(batch.ids(), columnZero);
        try (NDManager tmp = scope.newSubManager()) {
            NDArray ids = batch.idsArray(tmp);
            NDArray pos = batch.positionArray(tmp);
            NDArray mask = attentionMask(tmp, batch.lengths(), batch.width(), 0, batch.width());
            Map<HookPoint, NDArray> captures = new LinkedHashMap<>();
            NDArray out = run(tmp, ids, pos, mask, null, 0, hooks, captures, logits);
            if (out != null) out.attach(scope);
            for (NDArray c : captures.values()) c.attach(scope);
            return new ForwardResult(out, captures);
        }
    }

    void checkScope(NDManager scope) {
        if (!scope.getDevice().equals(device)) {
            throw new IllegalArgumentException("scope is on " + scope.getDevice() + " but the model is on " + device);
        }
    }

    /**
     * One pass over the layers: the prompt forward, or a decode step when {@code cache} is given (keys and values
     * of this step are written at {@code cacheStart}). Arrays are created in {@code m}.
     */
    NDArray run(NDManager m, NDArray ids, NDArray positions, NDArray mask, KvCache cache, int cacheStart,
                StepHooks hooks, Map<HookPoint, NDArray> captures, Logits logits) {
        int lastLayer = logits == Logits.NONE ? hooks.deepestLayer() : layers.length - 1;
        NDArray h = Embedding.embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
        NDArray[] cosSin = rope(positions);
        for (int l = 0; l <= lastLayer; l++) {
            NDArray in = h;
            // A layer's intermediates are freed when it ends, not when the whole pass does (a 24-layer prefill
            // would otherwise hold ~10 GB); the autograd graph keeps what it saved for backward.
            try (NDScope layerScope = new NDScope()) {
                h = hooks.apply(HookPoint.residPre(l), h, captures);
                h = layer(l, h, cosSin[0], cosSin[1], mask, cache, cacheStart);
                h = hooks.apply(HookPoint.residPost(l), h, captures);
                NDScope.unregister(h);
                captures.values().forEach(NDScope::unregister);
            }
            if (in != h && !isCaptured(in, captures)) in.close();
        }
        if (logits == Logits.NONE && !hooks.has(HookPoint.finalNorm())) return null;
        h = rmsNorm(h, finalNorm);
        h = hooks.apply(HookPoint.finalNorm(), h, captures);
        if (logits == Logits.NONE) return null;
        if (logits == Logits.LAST) {
            long t = h.getShape().get(1);
            h = h.get(new NDIndex(":, {}:, :", t - 1));
        }
        return linear(h, lmHead, null, packedModel -> packedModel.lmHead);
    }

    /**
     * {@code x·Wᵀ + b} of a forward: in Java over the packed weights ({@link PackedLinear}) where that beats libtorch,
     * i.e. a float32 CPU model on a JVM with 512-bit vectors, a product of at least 64 rows × 512 × 512 weights, and no
     * gradient to record; else libtorch's linear. Why: docs/DESIGN.md, "Prompt
     * forward products in Java".
     */
    private NDArray linear(NDArray x, NDArray weight, NDArray bias, Function<PackedModel, PackedLinear> packedLayer) {
        long out = weight.getShape().get(0), in = weight.getShape().get(1), rows = x.size() / in;
        boolean java = javaProducts && VecOps.WIDE && !device.isGpu() && dtype == DataType.FLOAT32 && x.getDataType() == DataType.FLOAT32
                && rows >= 64 && in >= 512 && out >= 512 && rows * Math.max(in, out) < Integer.MAX_VALUE
                && !weight.hasGradient() && !x.hasGradient();
        PackedModel m = java ? packed() : null;
        if (m == null) {
            return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();
        }
        // In and out through views of libtorch's memory and this thread's arrays, in chunks of rows: DJL's toFloatArray
        // and create(float[]) allocate and copy twice each, which cost more than the product itself (measured: 110 of
        // 180 ms at 2048 rows), and a chunk keeps the arrays small when the output is large (logits everywhere: 1.2 GB).
        int chunk = (int) Math.max(1, Math.min(rows, productChunkFloats / out));
        float[][] arrays = PRODUCT_ARRAYS.get();
        if (arrays[0].length < chunk * in) arrays[0] = new float[(int) (chunk * in)];
        if (arrays[1].length < chunk * out) arrays[1] = new float[(int) (chunk * out)];
        long[] dims = x.getShape().getShape().clone();
        dims[dims.length - 1] = out;
        NDArray y = x.getManager().create(new Shape(dims), DataType.FLOAT32); // uninitialised, every value written next
        FloatBuffer xs = ((PtNDArray) x).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer ys = ((PtNDArray) y).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        PackedLinear layer = packedLayer.apply(m);
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        for (long r0 = 0; r0 < rows; r0 += chunk) {
            int n = (int) Math.min(chunk, rows - r0);
            xs.get((int) (r0 * in), arrays[0], 0, (int) (n * in));
            layer.apply(arrays[0], n, arrays[1], threads);
            ys.put((int) (r0 * out), arrays[1], 0, (int) (n * out));
        }
        return y;
    }

    private static boolean isCaptured(NDArray a, Map<HookPoint, NDArray> captures) {
        for (NDArray c : captures.values()) if (c == a) return true;
        return false;
    }

    private NDArray layer(int l, NDArray h, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int cacheStart) {
        Layer w = layers[l];
        long b = h.getShape().get(0), t = h.getShape().get(1);
        int nH = config.numAttentionHeads(), kvH = config.numKeyValueHeads(), hd = config.headDim(), g = nH / kvH;

        // Each intermediate is closed as soon as the next op has consumed it (the layer's scope would only free them at
        // its end), so the allocator hands the same memory to the next op of the layer, as Python's reference counts do
        // for HF: a layer's peak is a few activations instead of all of them. Autograd keeps its own references to
        // what it saved for backward, so training is unaffected.
        NDArray x = rmsNorm(h, w.inputNorm);
        NDArray q = applyRope(linear(x, w.qW, w.qB, m -> m.layers[l].q()).reshape(b, t, nH, hd), cos, sin);
        NDArray k = applyRope(linear(x, w.kW, w.kB, m -> m.layers[l].k()).reshape(b, t, kvH, hd), cos, sin);
        NDArray v = linear(x, w.vW, w.vB, m -> m.layers[l].v()).reshape(b, t, kvH, hd);
        x.close();
        k = k.transpose(0, 2, 1, 3); // (B, kvH, T, hd)
        v = v.transpose(0, 2, 1, 3);
        if (cache != null) {
            cache.write(l, k, v, cacheStart);
            k = cache.keys(l, h.getManager(), cacheStart + (int) t);
            v = cache.values(l, h.getManager(), cacheStart + (int) t);
        }
        NDArray attn = attention(q, k, v, mask, b, t);
        NDArray o = linear(attn, w.oW, null, m -> m.layers[l].o());
        attn.close();
        h = h.add(o);
        o.close();

        NDArray y = rmsNorm(h, w.postNorm);
        NDArray gate = linear(y, w.gateW, null, m -> m.layers[l].gate());
        NDArray up = linear(y, w.upW, null, m -> m.layers[l].up());
        y.close();
        NDArray sig = gate.getNDArrayInternal().sigmoid();
        NDArray silu = gate.mul(sig); // SiLU(gate)
        gate.close();
        sig.close();
        NDArray act = silu.mul(up);
        silu.close();
        up.close();
        NDArray down = linear(act, w.downW, null, m -> m.layers[l].down());
        act.close();
        NDArray out = h.add(down);
        down.close();
        h.close(); // the residual after attention (the layer's input h is the caller's)
        return out;
    }

    /**
     * Eager attention of q (B, T, nH, hd) over k, v (B, kvH, S, hd) with the additive mask (B, 1, 1, T, S), as (B, T,
     * nH·hd). The score tensor is B·nH·T·S floats: a 1736-token prompt in a batch of 32 through a 16-head model would
     * hold 6.2 GB of it (and as much again for the softmax). Above {@link #attentionScoreBudget} bytes the queries are
     * taken in blocks whose scores fit it and the blocks' outputs concatenated: the same arithmetic per query row (up to
     * the last bits of the products' blocking), memory bounded by the budget. Short prompts take the one-block path.
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, long b, long t) {
        long s = k.getShape().get(2);
        long bytesPerQuery = b * config.numAttentionHeads() * s * 4L;
        long block = Math.max(1, Math.min(t, attentionScoreBudget / bytesPerQuery));
        if (block >= t) return attentionBlock(q, k, v, mask, b, t);
        NDList parts = new NDList();
        for (long from = 0; from < t; from += block) {
            long to = Math.min(t, from + block);
            NDArray qb = q.get(new NDIndex(":, {}:{}", from, to));
            NDArray mb = mask.get(new NDIndex(":, :, :, {}:{}", from, to));
            parts.add(attentionBlock(qb, k, v, mb, b, to - from));
            closeAll(qb, mb);
        }
        NDArray out = NDArrays.concat(parts, 1);
        parts.close();
        return out;
    }

    /** Bytes of attention scores one {@link #attention} call may hold at once (package-private: tests make it small). */
    static long attentionScoreBudget = 512L << 20;

    /** {@link #attention} for t queries at once. */
    private NDArray attentionBlock(NDArray q, NDArray k, NDArray v, NDArray mask, long b, long t) {
        int nH = config.numAttentionHeads(), kvH = config.numKeyValueHeads(), hd = config.headDim(), g = nH / kvH;
        long s = k.getShape().get(2);
        // GQA without repeating K/V: the g query heads sharing a KV head (h // g) form one (g*T)-row block.
        NDArray qg = q.reshape(b, t, kvH, g, hd).transpose(0, 2, 3, 1, 4).reshape(b, kvH, g * t, hd);
        // (A view shares its base's memory, which is freed once every handle on it is closed: hence the named views.)
        NDArray kT = k.transpose(0, 1, 3, 2);
        NDArray raw = qg.matMul(kT);
        closeAll(qg, kT);
        // Not mul(float): DJL wraps the number in a 0-d array over Java memory and closes it right after the op, but
        // autograd keeps it for the backward pass, which then reads freed memory (garbage gradients, seen as
        // occasional infinite gradient norms in training). A model-owned constant lives as long as any graph.
        NDArray scores = raw.mul(attentionScale);
        raw.close();
        NDArray byGroup = scores.reshape(b, kvH, g, t, s);
        NDArray masked = byGroup.add(mask);
        closeAll(byGroup, scores);
        NDArray softmax = softmaxF32(masked);
        masked.close();
        NDArray probs = softmax.reshape(b, kvH, g * t, s);
        NDArray heads = probs.matMul(v);
        closeAll(probs, softmax);
        NDArray split = heads.reshape(b, kvH, g, t, hd), perm = split.transpose(0, 3, 1, 2, 4);
        NDArray attn = perm.reshape(b, t, nH * hd);
        closeAll(perm, split, heads);
        return attn;
    }

    private static void closeAll(NDArray... arrays) {
        for (NDArray a : arrays) a.close();
    }

    /** HF Qwen2RMSNorm: computed in float32, cast back, then scaled by the weight. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray x32 = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray var = x32.square().mean(new int[] {-1}, true);
        NDArray normed = x32.div(var.add((float) config.rmsNormEps()).sqrt());
        if (dtype != DataType.FLOAT32) normed = normed.toType(dtype, false);
        return normed.mul(weight);
    }

    private NDArray softmaxF32(NDArray scores) {
        if (dtype == DataType.FLOAT32) return scores.softmax(-1);
        return scores.toType(DataType.FLOAT32, false).softmax(-1).toType(dtype, false);
    }

    /** cos and sin (B, T, 1, head_dim) for positions (B, T), HF's default rotary embedding. */
    private NDArray[] rope(NDArray positions) {
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(invFreq); // (B, T, hd/2)
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), -1).expandDims(2);
        NDArray cos = emb.cos(), sin = emb.sin();
        if (dtype != DataType.FLOAT32) {
            cos = cos.toType(dtype, false);
            sin = sin.toType(dtype, false);
        }
        return new NDArray[] {cos, sin};
    }

    /** x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1) over the last axis. */
    private static NDArray applyRope(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex(":, :, :, :{}", half));
        NDArray x2 = x.get(new NDIndex(":, :, :, {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /**
     * Additive mask (B, 1, 1, T, S) for T new columns starting at {@code start} over S = start + T keys: a query
     * sees keys at or before its own position that are not left padding.
     */
    NDArray attentionMask(NDManager m, int[] promptLengths, int promptWidth, int start, int t) {
        int b = promptLengths.length, s = start + t;
        float[] mask = new float[b * t * s];
        for (int r = 0; r < b; r++) {
            int pad = promptWidth - promptLengths[r];
            for (int i = 0; i < t; i++) {
                int base = (r * t + i) * s;
                for (int j = 0; j < s; j++) mask[base + j] = j < pad || j > start + i ? maskValue : 0f;
            }
        }
        NDArray a = m.create(mask, new Shape(b, 1, 1, t, s));
        return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
    }


    // ------------------------------------------------------------------------------------------------ saving

    /**
     * Writes {@code config.json} and {@code model.safetensors} (F32; {@code lm_head.weight} only when untied), each
     * atomically, so that HF {@code from_pretrained} and {@link #load} read it back.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray a = e.getValue();
            float[] data;
            if (a.getDataType() == DataType.FLOAT32 && !a.getDevice().isGpu()) {
                data = a.toFloatArray();
            } else {
                try (NDArray c = a.toDevice(Device.cpu(), true).toType(DataType.FLOAT32, true)) {
                    data = c.toFloatArray();
                }
            }
            w.addFloats(e.getKey(), DType.F32, data, a.getShape().getShape());
        }
        w.write(dir.resolve(Checkpoint.SINGLE));
        org.dfcspark.io.AtomicOutput.writeString(dir.resolve("config.json"), config.toJson());
        Files.deleteIfExists(dir.resolve(Checkpoint.INDEX)); // a stale index would shadow the new single file
    }

    // ------------------------------------------------------------------------------------------------ lifetime

    /** Marks the model as owned by {@link ModelCache}: {@link #close()} then does nothing. */
    void markShared() {
        shared = true;
    }

    /** Frees the weights, unless the model is shared through {@link ModelCache}. */
    @Override
    public void close() {
        if (!shared) manager.close();
    }

    void release() {
        manager.close();
    }
}
