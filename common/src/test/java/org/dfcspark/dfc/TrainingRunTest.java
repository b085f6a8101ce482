package org.dfcspark.dfc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dfcspark.data.SafeTensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The training loop: metrics, determinism, exclusivity under every option, bad batches, divergence, edge partitions. */
class TrainingRunTest {
    @TempDir Path tmp;

    static final SyntheticActivations.Data DATA = SyntheticActivations.planted(8, 2, 2, 8, 0.2, 0.01, 200, 17);

    static TrainingRun.Options options(int steps, Path out, int ckptEvery, int maxBad, int threads, double lr) {
        return new TrainingRun.Options(steps, 16, true, 5, 5, ckptEvery, maxBad, out, null, null, threads,
                new CrosscoderTrainer.Options(LrSchedule.constant(lr), 1.0, Init.DecoderBias.MEAN, 2, 0.999), Map.of("data", "test"));
    }

    static Crosscoder fresh(CrosscoderConfig cfg) {
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, 3);
        return cc;
    }

    @Test
    void writesMetricsAndIsDeterministicForASeedWhateverTheThreadCount() throws Exception {
        CrosscoderConfig cfg = CrosscoderConfig.paper(8, 24, 3, 4, 4);
        Crosscoder a = fresh(cfg), b = fresh(cfg);
        TrainingRun.Result ra = TrainingRun.run(a, DATA.source("d"), options(20, tmp.resolve("a"), 10, 0, 1, 1e-2));
        TrainingRun.run(b, DATA.source("d"), options(20, tmp.resolve("b"), 10, 0, 2, 1e-2));
        assertArrayEquals(a.wEnc(), b.wEnc());
        assertArrayEquals(a.wDec(), b.wDec());
        assertArrayEquals(a.bDec(), b.bDec());
        assertEquals(4, ra.metrics().size());
        var m = new ObjectMapper().readTree(ra.metrics().get(3));
        for (String key : List.of("step", "lr", "loss", "mse", "l1_shared", "l1_exclusive", "fvu_a", "fvu_b", "l0", "dead_frac",
                "fired_in_window_frac", "max_forbidden", "grad_norm", "skipped_batches", "rows_per_s")) {
            assertTrue(m.has(key), "metrics line has " + key + ": " + m);
        }
        assertEquals(20, m.get("step").asInt());
        assertEquals(0.0, m.get("max_forbidden").asDouble());
        assertTrue(m.get("l0").asDouble() <= 3.0);
        assertEquals(ra.metrics(), Files.readAllLines(tmp.resolve("a").resolve(Checkpoint.METRICS)));
        var prov = Checkpoint.load(tmp.resolve("a")).config().provenance();
        assertEquals(20, ((Number) prov.get("steps")).intValue());
        assertEquals("completed", prov.get("state"));
        assertEquals(Version.CODE, prov.get("code_version"));
    }

    @ParameterizedTest
    @CsvSource({"paper,topk,separate", "paper,topk,tied", "reference,batchtopk,separate", "reference,batchtopk,tied",
            "anthropic,relu,separate", "anthropic,relu,tied"})
    void exclusivityHoldsExactlyAfterTrainingWithEveryOption(String loss, String sparsity, String coupling) throws Exception {
        CrosscoderConfig cfg = CrosscoderConfig.paper(8, 24, 3, 4, 4).withLoss(LossKind.parse(loss), 1e-2, 1e-2)
                .withSparsity(Sparsity.parse(sparsity)).withCoupling(Coupling.parse(coupling)).withAuxK(1.0 / 32, 32);
        Crosscoder cc = fresh(cfg);
        CrosscoderTrainer tr = new CrosscoderTrainer(cc, new CrosscoderTrainer.Options(new LrSchedule(1e-2, 3, 20, 30), 1.0,
                Init.DecoderBias.GEOMETRIC_MEDIAN, 5, 0.999), 2);
        for (int t = 0; t < 30; t++) {
            float[] batch = java.util.Arrays.copyOfRange(DATA.rows(), (t % 12) * 16 * 16, (t % 12 + 1) * 16 * 16);
            assertEquals(CrosscoderTrainer.Status.OK, tr.step(batch, 16).status());
        }
        assertEquals(0.0, cc.verifyPartition());
        assertEquals(0.0, tr.optimizer().maxForbiddenMoment());
        assertEquals(0.0, cc.maxTieViolation());
        if (cfg.sparsity() == Sparsity.BATCHTOPK) assertTrue(cc.config().threshold() > 0, "threshold learned");
    }

    @Test
    void nanBatchesAreSkippedAndCountedAndPastTheLimitTrainingStops() throws Exception {
        float[] rows = DATA.rows().clone();
        rows[3 * 16 + 5] = Float.NaN;          // row 3, model A channel 5
        rows[40 * 16 + 9] = Float.POSITIVE_INFINITY; // row 40, model B channel 1
        ArrayActivations src = new ArrayActivations(rows, 200, 8, "with-nan");
        Crosscoder cc = fresh(CrosscoderConfig.paper(8, 24, 3, 4, 4));
        var o = new TrainingRun.Options(30, 16, false, 5, 10, 0, 20, tmp.resolve("ok"), null, null, 1,
                CrosscoderTrainer.Options.paper(1e-2), Map.of());
        TrainingRun.Result r = TrainingRun.run(cc, src, o);
        assertEquals(30, r.steps());
        assertTrue(r.skippedBatches() >= 2, "skipped " + r.skippedBatches());
        assertTrue(cc.isFinite());

        float[] bad = DATA.rows().clone();
        for (int i = 0; i < bad.length; i += 16 * 4) bad[i] = Float.NaN; // every 4th row
        Crosscoder cc2 = fresh(CrosscoderConfig.paper(8, 24, 3, 4, 4));
        var o2 = new TrainingRun.Options(30, 16, false, 5, 10, 0, 3, tmp.resolve("stopped"), null, null, 1,
                CrosscoderTrainer.Options.paper(1e-2), Map.of());
        var e = assertThrows(TrainingRun.TrainingStopped.class, () -> TrainingRun.run(cc2, new ArrayActivations(bad, 200, 8, "mostly-nan"), o2));
        assertTrue(e.getMessage().startsWith("mostly-nan: 4 batches with NaN/Inf (limit 3), last: row 48 (model A, channel 0) is NaN"), e.getMessage());
        Crosscoder saved = Checkpoint.load(tmp.resolve("stopped"));
        assertEquals("stopped: too many batches with NaN/Inf", saved.config().provenance().get("state"));
        assertTrue(saved.isFinite());
    }

    @Test
    void aDivergingLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws Exception {
        // rows 0..95 are fine; rows 96.. are huge (finite) so the step that reaches them overflows
        float[] rows = DATA.rows().clone();
        for (int i = 96 * 16; i < rows.length; i++) rows[i] *= 1e25f;
        Crosscoder cc = fresh(CrosscoderConfig.paper(8, 24, 3, 4, 4));
        Path out = tmp.resolve("div");
        var o = new TrainingRun.Options(30, 16, false, 5, 2, 4, 0, out, null, null, 1, CrosscoderTrainer.Options.paper(1e-2), Map.of());
        var e = assertThrows(TrainingRun.TrainingStopped.class, () -> TrainingRun.run(cc, new ArrayActivations(rows, 200, 8, "huge"), o));
        assertTrue(e.getMessage().matches("training diverged: (loss|gradient norm) is (NaN|Infinity) at step 6; kept the last good checkpoint .* \\(step 4\\)"), e.getMessage());
        Crosscoder kept = Checkpoint.load(out);
        assertEquals(4, ((Number) kept.config().provenance().get("steps")).intValue());
        assertTrue(kept.isFinite());
    }

    @Test
    void partitionRoundingEdgeCases() throws Exception {
        assertEquals(new Partition(80, 0, 0), Partition.ofShares(80, 0, 0));
        assertEquals(new Partition(80, 8, 8), Partition.ofShares(80, 0.1, 0.1)); // 80 * 0.1 = 8.000000000000002 -> 8
        assertEquals(new Partition(100, 28, 0), Partition.ofShares(100, 0.29, 0)); // 28.999999999999996 -> 28, as Python's int()
        assertEquals(new Partition(7, 1, 1), Partition.ofShares(7, 0.15, 0.15));
        var e = assertThrows(IllegalArgumentException.class, () -> Partition.ofShares(10, 0.6, 0.5));
        assertEquals("n_a + n_b = 11 exceeds dict_size 10", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Partition.ofShares(10, -0.1, 0));
        // no shared features at all (nA + nB = D): the shared L1 block is empty and counts as 0, training works
        Partition full = Partition.ofShares(24, 0.5, 0.5);
        assertEquals(0, full.nShared());
        Crosscoder cc = fresh(CrosscoderConfig.paper(8, 24, 3, full.nA(), full.nB()));
        TrainingRun.Result r = TrainingRun.run(cc, DATA.source("d"), options(10, null, 0, 0, 1, 1e-2));
        var last = new ObjectMapper().readTree(r.metrics().get(r.metrics().size() - 1));
        assertEquals(0.0, last.get("l1_shared").asDouble());
        assertTrue(Double.isFinite(last.get("loss").asDouble()));
        assertEquals(0.0, cc.verifyPartition());
    }

    @Test
    void badShapesAreRefusedWithAClearMessage() throws Exception {
        Crosscoder cc = fresh(CrosscoderConfig.paper(8, 24, 3, 4, 4));
        var e1 = assertThrows(IllegalArgumentException.class, () -> new BatchStep(cc, 1).encode(new float[15], 1));
        assertEquals("batch has 15 values, 1 rows of 2×8 need 16", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Crosscoder.fromPaperTensors(cc.config(), new float[10], cc.bEnc(), cc.wDec(), cc.bDec()));
        assertEquals("W_enc must have shape (2, 8, 24) (384 values), got 10", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> TrainingRun.run(cc,
                SyntheticActivations.planted(6, 1, 1, 2, 0.2, 0.0, 20, 1).source("d6"), options(3, null, 0, 0, 1, 1e-3)));
        assertEquals("d6: activation dim 6 but the crosscoder has 8", e3.getMessage());
        Path f = tmp.resolve("acts.safetensors");
        new SafeTensorsWriter().addF32("x", new float[3 * 3 * 8], 3, 3, 8).addI64("ids", new long[6], 3, 2, 1).write(f);
        var e4 = assertThrows(IllegalArgumentException.class, () -> SafeTensorsActivations.open(f + "#x"));
        assertEquals(f + "#x: expected paired activations of shape (N, 2, d), got [3, 3, 8]", e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class, () -> SafeTensorsActivations.open(f + "#ids"));
        assertEquals(f + "#ids: dtype I64 is not a float type", e5.getMessage());
        var e6 = assertThrows(IllegalArgumentException.class, () -> SafeTensorsActivations.open(f + "#acts"));
        assertEquals(f + ": no tensor named 'acts' (has [x, ids])", e6.getMessage());
        var e7 = assertThrows(IllegalArgumentException.class, () -> SafeTensorsActivations.open(f.toString()));
        assertTrue(e7.getMessage().contains("holds 2 tensors [x, ids]; say which with FILE#NAME"), e7.getMessage());
        var e8 = assertThrows(IllegalArgumentException.class, () -> CrosscoderConfig.paper(8, 24, 30, 4, 4));
        assertEquals("k must be in [1, dict_size = 24] for topk, got 30", e8.getMessage());
    }
}
