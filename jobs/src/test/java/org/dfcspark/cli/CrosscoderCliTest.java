package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderTrainer;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.LossKind;
import org.dfcspark.dfc.Sparsity;
import org.dfcspark.dfc.SyntheticActivations;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/dfc crosscoder train|encode|inspect} as other checks call them, through {@code Main.run}. */
class CrosscoderCliTest {
    @TempDir Path tmp;
    Path data;
    SyntheticActivations.Data synth;

    @BeforeEach
    void writeData() throws Exception {
        synth = SyntheticActivations.fineTuned(8, 12, 0.2, 0.01, 0.3, 2.0, 120, 5);
        data = tmp.resolve("acts.safetensors");
        float[] half = synth.rows();
        new SafeTensorsWriter().addFloats("acts", org.dfcspark.data.DType.F16, half, 120, 2, 8).addF32("other", new float[] {1}, 1).write(data);
    }

    @Test
    void trainInspectEncodeRoundTrip() throws Exception {
        Path out = tmp.resolve("ckpt");
        CliRun t = CliRun.run("crosscoder", "train", "--data", data + "#acts", "--steps", "12", "--batch", "16", "--dict-size", "24", "--k", "3",
                "--excl-a", "0.25", "--excl-b", "0.125", "--lr", "1e-2", "--coupling", "tied", "--bias-init", "geomedian",
                "--log-every", "4", "--threads", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("trained 12 steps (0 batches skipped"), t.out());
        assertTrue(t.err().contains("step 12/12  loss "), t.err());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        Crosscoder cc = Checkpoint.load(out);
        assertEquals(6, cc.config().nA());
        assertEquals(3, cc.config().nB());
        assertEquals(Coupling.TIED, cc.config().coupling());
        assertTrue(cc.config().normalization().shared());

        CliRun i = CliRun.run("crosscoder", "inspect", "--checkpoint", out.toString(), "--data", data + "#acts");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("partition: A-exclusive 6 | B-exclusive 3 | shared 15 (D = 24)"), i.out());
        assertTrue(i.out().contains("partition integrity: max forbidden |w| = 0.0, max tied-half difference = 0.0"), i.out());
        assertTrue(i.out().contains("relative decoder norm"), i.out());
        assertTrue(i.out().contains("cosine(d_A, d_B) of shared features: mean 1.0000"), i.out());
        assertTrue(i.out().matches("(?s).*mean A-B difference over 120 rows.*decoder bias +0\\.000 .*A-exclusive .*"), i.out());

        Path enc = tmp.resolve("enc.safetensors");
        CliRun e = CliRun.run("crosscoder", "encode", "--checkpoint", out.toString(), "--input", data + "#acts", "--out", enc.toString());
        assertEquals(0, e.code(), e.err());
        try (SafeTensors st = SafeTensors.open(enc); SafeTensors in = SafeTensors.open(data)) {
            assertArrayEquals(new long[] {120, 24}, st.info("features").shape());
            assertArrayEquals(new long[] {120, 2, 8}, st.info("reconstruction").shape());
            BatchStep.Encoded want = new BatchStep(cc, 1).encode(in.floats("acts"), 120);
            assertArrayEquals(want.features().toDense(), st.floats("features"));
            assertArrayEquals(want.reconstruction(), st.floats("reconstruction"));
            float[] f = st.floats("features");
            for (int r = 0; r < 120; r++) {
                int nz = 0;
                for (int j = 0; j < 24; j++) if (f[r * 24 + j] != 0) nz++;
                assertTrue(nz <= 3, "top-3 per row");
            }
        }
    }

    @Test
    void noShuffleUsesConsecutiveRowsInFileOrderWrapping() throws Exception {
        // 120 rows, batch 50, 3 steps: rows 0-49, 50-99, then 100-119 followed by 0-29
        Path out = tmp.resolve("ns");
        CliRun t = CliRun.run("crosscoder", "train", "--data", data + "#acts", "--steps", "3", "--batch", "50", "--dict-size", "16", "--k", "2",
                "--no-shuffle", "--normalization", "none", "--seed", "9", "--lr", "1e-2", "--threads", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        Crosscoder viaCli = Checkpoint.load(out);

        float[] rows;
        try (SafeTensors in = SafeTensors.open(data)) {
            rows = in.floats("acts");
        }
        Crosscoder cc = new Crosscoder(viaCli.config());
        Init.weights(cc, Init.Weights.PAPER, 9);
        CrosscoderTrainer tr = new CrosscoderTrainer(cc, CrosscoderTrainer.Options.paper(1e-2), 1);
        int w = 16;
        tr.step(Arrays.copyOfRange(rows, 0, 50 * w), 50);
        tr.step(Arrays.copyOfRange(rows, 50 * w, 100 * w), 50);
        float[] third = new float[50 * w];
        System.arraycopy(rows, 100 * w, third, 0, 20 * w);
        System.arraycopy(rows, 0, third, 20 * w, 30 * w);
        tr.step(third, 50);
        assertArrayEquals(cc.wEnc(), viaCli.wEnc());
        assertArrayEquals(cc.wDec(), viaCli.wDec());
        assertArrayEquals(cc.bDec(), viaCli.bDec());
    }

    @Test
    void trainFromInitKeepsItsConfigUnlessOverridden() throws Exception {
        Path first = tmp.resolve("first"), second = tmp.resolve("second");
        assertEquals(0, CliRun.run("crosscoder", "train", "--data", data + "#acts", "--steps", "4", "--batch", "16", "--dict-size", "24",
                "--k", "3", "--sparsity", "batchtopk", "--loss", "reference", "--threshold-start", "1", "--threads", "1", "--out", first.toString()).code());
        CliRun r = CliRun.run("crosscoder", "train", "--data", data + "#acts", "--init", first.toString(), "--steps", "4", "--batch", "16", "--k", "4",
                "--threads", "1", "--out", second.toString());
        assertEquals(0, r.code(), r.err());
        Crosscoder a = Checkpoint.load(first), b = Checkpoint.load(second);
        assertEquals(Sparsity.BATCHTOPK, b.config().sparsity());
        assertEquals(LossKind.REFERENCE, b.config().loss());
        assertEquals(4, b.config().k());
        assertArrayEquals(a.config().normalization().mean(), b.config().normalization().mean());
        assertEquals(first.toString(), b.config().provenance().get("init_checkpoint"));
        CliRun bad = CliRun.run("crosscoder", "train", "--data", data + "#acts", "--init", first.toString(), "--steps", "4", "--batch", "16",
                "--dict-size", "32", "--out", tmp.resolve("x").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--dict-size cannot be changed when training from --init"), bad.err());
    }

    @Test
    void malformedCommandLinesExitTwoWithOneLine() {
        String d = data + "#acts", o = tmp.resolve("o").toString();
        String[][] cases = {
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--bogus", "1"},
                {"crosscoder", "train", "--data", d, "--batch", "4", "--out", o},
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--sparsity", "top5"},
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--excl-a", "1.5"},
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--excl-a", "0.6", "--excl-b", "0.5"},
                {"crosscoder", "train", "--data", d, "--steps", "x", "--batch", "4", "--out", o},
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--loss", "l2"},
                {"crosscoder", "train", "--data", d, "--steps", "3", "--batch", "4", "--out", o, "--k", "0"},
                {"crosscoder", "encode", "--checkpoint", o, "--input", d},
                {"crosscoder", "inspect"},
                {"crosscoder", "inspect", "--checkpoint", o, "extra"},
        };
        for (String[] argv : cases) {
            CliRun r = CliRun.run(argv);
            assertEquals(2, r.code(), String.join(" ", argv) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }

    @Test
    void failuresExitOneWithOneLineNamingTheInput() throws Exception {
        Path ckpt = tmp.resolve("c");
        assertEquals(0, CliRun.run("crosscoder", "train", "--data", data + "#acts", "--steps", "2", "--batch", "8", "--dict-size", "16", "--k", "2",
                "--threads", "1", "--out", ckpt.toString()).code());
        Path nan = tmp.resolve("nan.safetensors");
        float[] rows = synth.rows().clone();
        rows[5] = Float.NaN;
        new SafeTensorsWriter().addF32("acts", rows, 120, 2, 8).write(nan);
        Path wrongD = tmp.resolve("d4.safetensors");
        new SafeTensorsWriter().addF32("acts", new float[10 * 2 * 4], 10, 2, 4).write(wrongD);
        String[][] cases = {
                {"crosscoder", "train", "--data", tmp.resolve("missing.safetensors") + "#acts", "--steps", "2", "--batch", "4", "--out", tmp.resolve("m").toString()},
                {"crosscoder", "train", "--data", data + "#nope", "--steps", "2", "--batch", "4", "--out", tmp.resolve("m").toString()},
                {"crosscoder", "encode", "--checkpoint", tmp.resolve("none").toString(), "--input", data + "#acts", "--out", tmp.resolve("e").toString()},
                {"crosscoder", "encode", "--checkpoint", ckpt.toString(), "--input", wrongD + "#acts", "--out", tmp.resolve("e").toString()},
                {"crosscoder", "encode", "--checkpoint", ckpt.toString(), "--input", nan + "#acts", "--out", tmp.resolve("e").toString()},
                {"crosscoder", "inspect", "--checkpoint", data.toString()},
        };
        String[] expect = {"missing.safetensors: file not found", "no tensor named 'nope'", "not a checkpoint directory",
                "activation dim 4 but the crosscoder", "row 0 contains NaN", "not a checkpoint directory"};
        for (int i = 0; i < cases.length; i++) {
            CliRun r = CliRun.run(cases[i]);
            assertEquals(1, r.code(), String.join(" ", cases[i]) + " -> " + r.err());
            assertTrue(r.err().contains(expect[i]), "expected '" + expect[i] + "' in " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
        assertTrue(Files.notExists(tmp.resolve("e")), "nothing written on failure");
    }

    @Test
    void benchRunsOnSmallSettings() {
        CliRun r = CliRun.run("bench", "crosscoder", "--d", "16", "--dict-size", "64", "--k", "4", "--batch", "32", "--steps", "2", "--warmup", "1", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*dfc-spark \\(encoder product on [^)]+\\): +\\d+ rows/s.*engine matmul 2048\\^3.*GFLOP/s.*sparse decode.*"), r.out());
        assertEquals(2, CliRun.run("bench", "crosscoder", "--k", "0").code());
    }
}
