package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A float32 CPU model's weights copied once into Java arrays for {@link CpuDecoder} and a forward's large products
 * ({@code Qwen2Model.linear}): every linear layer as a
 * {@link PackedLinear}, the norms and the embedding as they are. Costs one more copy of the weights on the heap;
 * {@link Qwen2Model#packed()} builds it on first use and only when the heap has room for it.
 */
final class PackedModel {
    /** One decoder layer (HF names). */
    record Layer(float[] inputNorm, PackedLinear q, PackedLinear k, PackedLinear v, PackedLinear o, float[] postNorm,
                 PackedLinear gate, PackedLinear up, PackedLinear down) {}

    final Qwen2Config config;
    final float[] embed;
    final Layer[] layers;
    final float[] finalNorm;
    final PackedLinear lmHead;
    final float[] invFreq;

    PackedModel(Qwen2Config c, Map<String, NDArray> params, float[] invFreq) {
        this.config = c;
        int d = c.hiddenSize(), q = c.numAttentionHeads() * c.headDim(), kv = c.numKeyValueHeads() * c.headDim();
        int inter = c.intermediateSize();
        this.embed = params.get("model.embed_tokens.weight").toFloatArray();
        this.layers = new Layer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            layers[l] = new Layer(floats(params, p + "input_layernorm.weight"),
                    linear(params, p + "self_attn.q_proj", true, q, d),
                    linear(params, p + "self_attn.k_proj", true, kv, d),
                    linear(params, p + "self_attn.v_proj", true, kv, d),
                    linear(params, p + "self_attn.o_proj", false, d, q),
                    floats(params, p + "post_attention_layernorm.weight"),
                    linear(params, p + "mlp.gate_proj", false, inter, d),
                    linear(params, p + "mlp.up_proj", false, inter, d),
                    linear(params, p + "mlp.down_proj", false, d, inter));
        }
        this.finalNorm = floats(params, "model.norm.weight");
        float[] head = c.tieWordEmbeddings() ? embed : floats(params, "lm_head.weight");
        this.lmHead = new PackedLinear(head, null, c.vocabSize(), d);
        this.invFreq = invFreq.clone();
    }

    /** Bytes this copy takes on the heap, from the config alone (to decide before building it). */
    static long bytes(Qwen2Config c) {
        return streamedBytesPerStep(c) + 4L * c.vocabSize() * c.hiddenSize(); // + the embedding
    }

    /** Weight bytes one decode step reads: every layer's products and the lm_head (the embedding only by row). */
    static long streamedBytesPerStep(Qwen2Config c) {
        long d = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        long perLayer = d * q + 2 * d * kv + q * d + 3 * d * c.intermediateSize();
        return 4 * (c.numHiddenLayers() * perLayer + (long) c.vocabSize() * d);
    }

    private static float[] floats(Map<String, NDArray> params, String name) {
        return params.get(name).toFloatArray();
    }

    private static PackedLinear linear(Map<String, NDArray> params, String prefix, boolean bias, int out, int in) {
        return new PackedLinear(floats(params, prefix + ".weight"), bias ? floats(params, prefix + ".bias") : null, out, in);
    }
}
