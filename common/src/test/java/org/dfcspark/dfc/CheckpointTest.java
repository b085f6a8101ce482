package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsFormatException;
import org.dfcspark.data.SafeTensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint directories: round trip, the paper's five-key config, atomic replacement, and every refusal. */
class CheckpointTest {
    @TempDir Path tmp;

    static Crosscoder trained(Coupling coupling) {
        CrosscoderConfig cfg = CrosscoderConfig.paper(8, 20, 3, 2, 3).withSparsity(Sparsity.BATCHTOPK).withCoupling(coupling)
                .withLoss(LossKind.REFERENCE, 0, 0);
        SyntheticActivations.Data data = SyntheticActivations.planted(8, 2, 2, 6, 0.2, 0.01, 64, 3);
        try {
            cfg = cfg.withNormalization(Normalization.fit(data.source("s"), Normalization.Scheme.ZSCORE, coupling == Coupling.TIED, Double.NaN));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.TRANSPOSE, 4);
        var tr = new CrosscoderTrainer(cc, new CrosscoderTrainer.Options(LrSchedule.constant(1e-2), 1.0, Init.DecoderBias.GEOMETRIC_MEDIAN, 0, 0.999), 1);
        for (int t = 0; t < 3; t++) tr.step(java.util.Arrays.copyOfRange(data.rows(), t * 16 * 16, (t + 1) * 16 * 16), 16);
        cc.setConfig(cc.config().withProvenance(Map.of("steps", 3, "data", "synthetic")));
        return cc;
    }

    @Test
    void roundTripKeepsTensorsConfigNormalisationThresholdAndProvenance() throws Exception {
        for (Coupling c : Coupling.values()) {
            Crosscoder cc = trained(c);
            Path dir = tmp.resolve("ckpt-" + c.id());
            Checkpoint.save(cc, dir, List.of("{\"step\":1}"));
            Crosscoder back = Checkpoint.load(dir);
            assertArrayEquals(cc.wEnc(), back.wEnc());
            assertArrayEquals(cc.wDec(), back.wDec());
            assertArrayEquals(cc.bEnc(), back.bEnc());
            assertArrayEquals(cc.bDec(), back.bDec());
            assertEquals(cc.config().toJson(), back.config().toJson());
            assertTrue(back.config().threshold() > 0, "learned threshold kept");
            assertArrayEquals(cc.config().normalization().scale(), back.config().normalization().scale());
            assertEquals(List.of("{\"step\":1}"), Files.readAllLines(dir.resolve(Checkpoint.METRICS)));
            String json = Files.readString(dir.resolve(Checkpoint.CONFIG));
            assertTrue(json.matches("(?s)\\{\\s*\"activation_dim\" : 8,\\s*\"dict_size\" : 20,\\s*\"k\" : 3,\\s*\"n_a\" : 2,\\s*\"n_b\" : 3,.*"),
                    "the paper's five keys come first: " + json);
            try (SafeTensors st = SafeTensors.open(dir.resolve(Checkpoint.WEIGHTS))) {
                assertEquals(List.of("W_enc", "b_enc", "W_dec", "b_dec", "enc_mask", "dec_mask"), st.names());
                assertArrayEquals(new long[] {2, 8, 20}, st.info("W_enc").shape());
                assertArrayEquals(new long[] {20, 2, 8}, st.info("W_dec").shape());
            }
        }
    }

    @Test
    void paperOnlyConfigLoadsAsTopKWithIdentityNormalisation() throws Exception {
        Crosscoder cc = trained(Coupling.SEPARATE);
        Path dir = tmp.resolve("paper");
        Checkpoint.save(cc, dir, null);
        Files.writeString(dir.resolve("config.json"), "{\"activation_dim\": 8, \"dict_size\": 20, \"k\": 3, \"n_a\": 2, \"n_b\": 3}");
        Crosscoder p = Checkpoint.load(dir);
        assertEquals(Sparsity.TOPK, p.config().sparsity());
        assertEquals(LossKind.PAPER, p.config().loss());
        assertEquals(Coupling.SEPARATE, p.config().coupling());
        assertNull(p.config().normalization());
        assertArrayEquals(cc.wEnc(), p.wEnc());
        // encode on raw input = the paper's forward: per-row top-3, no normalisation
        float[] x = SyntheticActivations.planted(8, 2, 2, 6, 0.2, 0.01, 5, 9).rows();
        BatchStep.Encoded e = new BatchStep(p, 1).encode(x, 5);
        for (int b = 0; b < 5; b++) assertTrue(e.features().count(b) <= 3);
    }

    @Test
    void replacingACheckpointIsAtomicAndNeverTouchesForeignDirectories() throws Exception {
        Crosscoder cc = trained(Coupling.SEPARATE);
        Path dir = tmp.resolve("out");
        Checkpoint.save(cc, dir, null);
        Checkpoint.save(cc, dir, List.of("{}"));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("out"), s.map(f -> f.getFileName().toString()).toList(), "no temporary directories left behind");
        }
        Path foreign = tmp.resolve("mydata");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "precious");
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(cc, foreign, null));
        assertTrue(e.getMessage().contains("is not a crosscoder checkpoint (it holds notes.txt)"), e.getMessage());
        assertEquals("precious", Files.readString(foreign.resolve("notes.txt")));
        // a half-written checkpoint (temp dir, or a directory without config.json) is never taken for a complete one
        Path half = tmp.resolve("half");
        Files.createDirectories(half);
        Files.copy(dir.resolve(Checkpoint.WEIGHTS), half.resolve(Checkpoint.WEIGHTS));
        var h = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(half));
        assertTrue(h.getMessage().endsWith("not a complete checkpoint (needs config.json and crosscoder.safetensors)"), h.getMessage());
    }

    /** Writes a checkpoint whose tensors were altered by {@code edit}, then expects load to fail with {@code message}. */
    private void refuses(String message, java.util.function.Consumer<Map<String, float[]>> edit, long[]... shapes) throws Exception {
        Crosscoder cc = trained(Coupling.SEPARATE);
        Path dir = tmp.resolve("bad-" + Math.abs(message.hashCode()));
        Checkpoint.save(cc, dir, null);
        Map<String, float[]> t = new java.util.LinkedHashMap<>();
        t.put("W_enc", cc.wEnc());
        t.put("b_enc", cc.bEnc());
        t.put("W_dec", cc.wDec());
        t.put("b_dec", cc.bDec());
        t.put("enc_mask", cc.partition().encMask());
        t.put("dec_mask", cc.partition().decMask());
        edit.accept(t);
        long[][] dflt = {{2, 8, 20}, {20}, {20, 2, 8}, {2, 8}, {2, 20}, {20, 2}};
        SafeTensorsWriter w = new SafeTensorsWriter();
        int i = 0;
        for (var e : t.entrySet()) {
            long[] shape = shapes.length > 0 && e.getKey().equals("b_enc") ? shapes[0] : i < dflt.length ? dflt[i] : new long[] {e.getValue().length};
            w.addF32(e.getKey(), e.getValue(), shape);
            i++;
        }
        w.write(dir.resolve(Checkpoint.WEIGHTS));
        var ex = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
        assertTrue(ex.getMessage().contains(message), "expected '" + message + "' in: " + ex.getMessage());
        assertTrue(ex.getMessage().contains(dir.resolve(Checkpoint.WEIGHTS).toString()), "names the file: " + ex.getMessage());
    }

    @Test
    void violatingOrMalformedCheckpointsAreRefusedWithOneLineNamingFileAndTensor() throws Exception {
        refuses("partition violated: a forbidden weight has |w| = 0.5", t -> t.get("W_dec")[1 * 16 + 8] = 0.5f); // A-excl feature 1, B half
        refuses("partition violated", t -> t.get("W_enc")[1 * 8 * 20 + 0] = -0.25f); // model B encoding into A-exclusive feature 0
        refuses("contain NaN or Inf", t -> t.get("b_dec")[3] = Float.NaN);
        refuses("missing tensor 'dec_mask'", t -> t.remove("dec_mask"));
        refuses("unexpected tensor 'threshold'", t -> t.put("threshold", new float[] {0.1f}));
        refuses("enc_mask disagrees with n_a = 2, n_b = 3", t -> t.get("enc_mask")[0] = 0f);
        refuses("tensor 'b_enc' has shape [21]", t -> t.put("b_enc", new float[21]), new long[] {21});
    }

    @Test
    void corruptFilesAndConfigsAreRefused() throws Exception {
        Crosscoder cc = trained(Coupling.TIED);
        Path dir = tmp.resolve("c");
        Checkpoint.save(cc, dir, null);
        Path cfg = dir.resolve(Checkpoint.CONFIG);
        String good = Files.readString(cfg);
        Files.writeString(cfg, "{\"activation_dim\": 8, ");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir)).getMessage().contains("config.json: not valid JSON"));
        Files.writeString(cfg, good.replace("\"k\" : 3", "\"k\" : \"three\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir)).getMessage().contains("'k' must be an integer"));
        Files.writeString(cfg, good.replace("\"sparsity\"", "\"sparsty\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir)).getMessage().contains("unknown key 'sparsty'"));
        Files.writeString(cfg, good.replace("\"n_b\" : 3", "\"n_b\" : 30"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir)).getMessage().contains("n_a + n_b = 32 exceeds dict_size 20"));
        Files.writeString(cfg, good);
        // tied coupling whose halves differ is refused
        Crosscoder loaded = Checkpoint.load(dir);
        assertEquals(0.0, loaded.maxTieViolation());
        Path w = dir.resolve(Checkpoint.WEIGHTS);
        byte[] bytes = Files.readAllBytes(w);
        Files.write(w, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThrows(SafeTensorsFormatException.class, () -> Checkpoint.load(dir));
        float[] dec = cc.wDec();
        dec[19 * 16 + 8] += 0.125f; // shared feature 19, B half
        var e = assertThrows(IllegalArgumentException.class, () -> Crosscoder.fromPaperTensors(cc.config(), cc.wEnc(), cc.bEnc(), dec, cc.bDec()));
        assertTrue(e.getMessage().contains("tied coupling violated"), e.getMessage());
    }
}
