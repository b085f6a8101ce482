package org.dfcspark.model;

import static org.dfcspark.model.TinyFixture.*;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forward parity with HF transformers on the qwen2-tiny oracle (f32, bf16 and sharded checkpoints). */
class Qwen2ParityTest {
    static Qwen2Model f32, bf16, sharded;
    static final int L = 3, D = 64, V = 512;

    @BeforeAll
    static void load() throws IOException {
        f32 = Qwen2Model.load(f32Dir(), Device.cpu());
        bf16 = Qwen2Model.load(bf16Dir(), Device.cpu());
        sharded = Qwen2Model.load(shardedDir(), Device.cpu());
    }

    @AfterAll
    static void close() {
        f32.close();
        bf16.close();
        sharded.close();
    }

    /** Captures every HF hidden_states entry: embeddings, each layer's output, the final norm. */
    static List<Intervention> allHidden() {
        List<Intervention> ivs = new ArrayList<>();
        ivs.add(Intervention.capture(HookPoint.residPre(0), Positions.all()));
        for (int l = 0; l < L; l++) ivs.add(Intervention.capture(HookPoint.residPost(l), Positions.all()));
        ivs.add(Intervention.capture(HookPoint.finalNorm(), Positions.all()));
        return ivs;
    }

    /** hidden_states as HF stacks them: [embeddings, layers 0..L-2 outputs, final norm]. */
    static float[] stackedHidden(ForwardResult r) {
        List<float[]> parts = new ArrayList<>();
        parts.add(r.captured(HookPoint.residPre(0)).toFloatArray());
        for (int l = 0; l < L - 1; l++) parts.add(r.captured(HookPoint.residPost(l)).toFloatArray());
        parts.add(r.captured(HookPoint.finalNorm()).toFloatArray());
        int n = parts.get(0).length;
        float[] out = new float[n * parts.size()];
        for (int i = 0; i < parts.size(); i++) System.arraycopy(parts.get(i), 0, out, i * n, n);
        return out;
    }

    private void checkUnbatched(Qwen2Model model, String prefix) {
        for (int s = 1; s <= 3; s++) {
            int[] ids = ints("seq" + s + ".input_ids");
            try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
                ForwardResult r = model.forward(scope, TokenBatch.leftPadded(List.of(ids), 0), allHidden());
                String p = prefix + ".seq" + s + ".";
                assertClose(floats(p + "hidden_states"), stackedHidden(r), p + "hidden_states");
                assertClose(floats(p + "last_layer_output"), r.captured(HookPoint.residPost(L - 1)).toFloatArray(), p + "last_layer_output");
                assertClose(floats(p + "logits"), r.logits().toFloatArray(), p + "logits");
            }
        }
    }

    @Test
    void f32MatchesHf() {
        checkUnbatched(f32, "f32");
    }

    @Test
    void bf16CheckpointWidenedInJavaMatchesHfUpcast() {
        checkUnbatched(bf16, "bf16");
    }

    @Test
    void shardedCheckpointMatchesHf() {
        checkUnbatched(sharded, "f32");
    }

    @Test
    void transformers4ConfigFormIsReadAlike(@TempDir Path tmp) throws IOException {
        String v4 = """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
                 "hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 3, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 256, "rms_norm_eps": 1e-06,
                 "rope_theta": 1000000.0, "torch_dtype": "float32", "sliding_window": 32768, "use_sliding_window": false,
                 "max_window_layers": 28, "tie_word_embeddings": true, "bos_token_id": 511, "eos_token_id": 511,
                 "transformers_version": "4.43.1", "use_cache": true}
                """;
        Files.writeString(tmp.resolve("config.json"), v4);
        Files.copy(f32Dir().resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Qwen2Config c4 = Qwen2Config.load(tmp), c5 = Qwen2Config.load(f32Dir());
        assertEquals(1_000_000.0, c4.ropeTheta());
        assertEquals(c5.sha256(), c4.sha256());
        assertEquals(16, c4.headDim());
        try (Qwen2Model m = Qwen2Model.load(tmp, Device.cpu()); NDManager scope = NDManager.newBaseManager()) {
            ForwardResult r = m.forward(scope, TokenBatch.leftPadded(List.of(ints("seq2.input_ids")), 0), List.of());
            assertClose(floats("f32.seq2.logits"), r.logits().toFloatArray(), "v4 config logits");
        }
    }

    @Test
    void ropeInverseFrequenciesMatch() throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            float[] expected = floats("rope.inv_freq");
            Qwen2Config c = f32.config();
            for (int i = 0; i < expected.length; i++) {
                double f = 1.0 / Math.pow(c.ropeTheta(), (float) (2 * i) / (float) c.headDim());
                assertEquals(expected[i], f, Math.abs(expected[i]) * 1e-6);
            }
        }
    }

    @Test
    void leftPaddedBatchEqualsUnbatchedAtRealPositions() {
        List<int[]> seqs = List.of(ints("seq1.input_ids"), ints("seq2.input_ids"), ints("seq3.input_ids"));
        TokenBatch batch = TokenBatch.leftPadded(seqs, 511);
        // the batch HF generate built: ids, mask and position ids
        assertArrayEquals(ints("batch.input_ids"), flat(batch.ids()));
        assertArrayEquals(ints("batch.attention_mask"), flat(batch.attentionMask()));
        assertArrayEquals(ints("batch.position_ids"), flat(batch.positionIds()));
        try (NDManager scope = NDManager.newBaseManager()) {
            ForwardResult r = f32.forward(scope, batch, List.of());
            for (int b = 0; b < 3; b++) {
                NDArray row = r.logits().get(new NDIndex("{}, {}:, :", b, batch.padCount(b)));
                assertClose(floats("f32.seq" + (b + 1) + ".logits"), row.toFloatArray(), "batched row " + b);
            }
        }
    }

    /**
     * Long prompts' attention in query blocks (the score budget shrunk so that each block holds 3 queries) gives HF's
     * logits, batched and left-padded, and the same greedy tokens through the cached prefill of generation.
     */
    @Test
    void attentionInQueryBlocksMatchesHf() throws IOException {
        List<int[]> seqs = List.of(ints("seq1.input_ids"), ints("seq2.input_ids"), ints("seq3.input_ids"));
        TokenBatch batch = TokenBatch.leftPadded(seqs, 511);
        long before = Qwen2Model.attentionScoreBudget;
        GenerationResult whole = Generator.generate(f32, seqs, GenerationConfig.forModel(f32Dir(), 8), List.of());
        Qwen2Model.attentionScoreBudget = 3L * 3 * f32.config().numAttentionHeads() * batch.width() * 4;
        try (NDManager scope = NDManager.newBaseManager()) {
            assertTrue(batch.width() > 6, "several blocks");
            ForwardResult r = f32.forward(scope, batch, List.of());
            for (int b = 0; b < 3; b++) {
                NDArray row = r.logits().get(new NDIndex("{}, {}:, :", b, batch.padCount(b)));
                assertClose(floats("f32.seq" + (b + 1) + ".logits"), row.toFloatArray(), "row " + b + " in query blocks");
            }
            GenerationResult blocked = Generator.generate(f32, seqs, GenerationConfig.forModel(f32Dir(), 8), List.of());
            for (int b = 0; b < 3; b++) assertArrayEquals(whole.generated(b), blocked.generated(b), "row " + b + " generated");
        } finally {
            Qwen2Model.attentionScoreBudget = before;
        }
    }

    @Test
    void addInterventionMatchesHfHook() {
        int layer = ints("add.layer")[0];
        float[] v = floats("add.v");
        try (NDManager scope = NDManager.newBaseManager()) {
            List<Intervention> ivs = new ArrayList<>();
            ivs.add(Intervention.add(HookPoint.residPost(layer), v, 1.0, Positions.all(), Phase.EVERY_STEP));
            ivs.addAll(allHidden());
            ForwardResult r = f32.forward(scope, TokenBatch.leftPadded(List.of(ints("seq1.input_ids")), 511), ivs);
            assertClose(floats("add.logits"), r.logits().toFloatArray(), "add.logits");
            assertClose(floats("add.hidden_states"), stackedHidden(r), "add.hidden_states");
        }
    }

    @Test
    void replaceLastInterventionMatchesHfHook() {
        int layer = ints("replace.layer")[0];
        float[] rvec = floats("replace.r");
        try (NDManager scope = NDManager.newBaseManager()) {
            List<Intervention> ivs = new ArrayList<>();
            ivs.add(Intervention.replace(HookPoint.residPost(layer), new float[][] {rvec}, Positions.lastPrompt(), Phase.PREFILL));
            ivs.addAll(allHidden());
            ForwardResult r = f32.forward(scope, TokenBatch.leftPadded(List.of(ints("seq1.input_ids")), 511), ivs);
            assertClose(floats("replace.prefill_logits"), r.logits().toFloatArray(), "replace.prefill_logits");
            assertClose(floats("replace.prefill_hidden_states"), stackedHidden(r), "replace.prefill_hidden_states");
            float[] edited = r.captured(HookPoint.residPost(layer)).get(new NDIndex("0, -1, :")).toFloatArray();
            assertArrayEquals(rvec, edited, "replaced row equals r exactly");
        }
    }

    @Test
    void tokenLogProbsMatch() {
        int[] ids = ints("seq2.input_ids");
        for (String prefix : new String[] {"f32", "bf16"}) {
            Qwen2Model m = prefix.equals("f32") ? f32 : bf16;
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray lp = m.forward(scope, TokenBatch.leftPadded(List.of(ids), 511), List.of()).logits().logSoftmax(-1);
                float[] all = lp.toFloatArray();
                float[] got = new float[ids.length - 1];
                double nll = 0;
                for (int t = 0; t < got.length; t++) {
                    got[t] = all[t * V + ids[t + 1]];
                    nll -= got[t];
                }
                assertClose(floats(prefix + ".seq2.token_logprobs"), got, prefix + " token log-probs");
                assertEquals(floats(prefix + ".seq2.mean_nll")[0], nll / got.length, 1e-4);
            }
        }
    }

    @Test
    void capturesAtSelectedPositions() {
        List<int[]> seqs = List.of(ints("seq1.input_ids"), ints("seq3.input_ids"));
        TokenBatch batch = TokenBatch.leftPadded(seqs, 511);
        HookPoint hp = HookPoint.residPost(1);
        float[] ref1 = floats("f32.seq1.hidden_states"), ref3 = floats("f32.seq3.hidden_states");
        try (NDManager scope = NDManager.newBaseManager()) {
            ForwardResult last = f32.forward(scope, batch, List.of(Intervention.capture(hp, Positions.lastPrompt())));
            assertArrayEquals(new long[] {2, 1, D}, last.captured(hp).getShape().getShape());
            // hidden_states[2] = output of layer 1; last row of seq1 (T=7) and seq3 (T=20)
            assertClose(part(part(ref1, 2, 7 * D), 6, D), last.captured(hp).get(0).toFloatArray(), "seq1 last");
            assertClose(part(part(ref3, 2, 20 * D), 19, D), last.captured(hp).get(1).toFloatArray(), "seq3 last");
            ForwardResult idx = f32.forward(scope, batch, List.of(Intervention.capture(hp, Positions.indices(0, -2))), Qwen2Model.Logits.NONE);
            NDArray c = idx.captured(hp);
            assertArrayEquals(new long[] {2, 2, D}, c.getShape().getShape());
            assertClose(part(part(ref1, 2, 7 * D), 0, D), c.get("0, 0, :").toFloatArray(), "seq1 pos 0");
            assertClose(part(part(ref1, 2, 7 * D), 5, D), c.get("0, 1, :").toFloatArray(), "seq1 pos -2");
            assertClose(part(part(ref3, 2, 20 * D), 0, D), c.get("1, 0, :").toFloatArray(), "seq3 pos 0");
            assertClose(part(part(ref3, 2, 20 * D), 18, D), c.get("1, 1, :").toFloatArray(), "seq3 pos -2");
            assertThrows(IllegalStateException.class, idx::logits);
        }
    }

    static int[] flat(int[][] a) {
        return java.util.Arrays.stream(a).flatMapToInt(java.util.Arrays::stream).toArray();
    }
}
