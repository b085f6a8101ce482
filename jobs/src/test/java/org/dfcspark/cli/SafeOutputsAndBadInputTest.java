package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.dfcspark.data.DType;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.dfc.SyntheticActivations;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: no finished work overwritten, nothing half-written, every mistake caught before work. Each test is one
 * numbered item of the issue, through {@code Main.run} as {@code bin/dfc} runs it.
 */
class SafeOutputsAndBadInputTest {
    @TempDir Path tmp;
    Path data;

    @BeforeEach
    void writeData() throws Exception {
        SyntheticActivations.Data synth = SyntheticActivations.fineTuned(8, 12, 0.2, 0.01, 0.3, 2.0, 64, 5);
        data = tmp.resolve("acts.safetensors");
        new SafeTensorsWriter().addFloats("acts", DType.F32, synth.rows(), 64, 2, 8).write(data);
    }

    private CliRun train(Path out, String... extra) {
        List<String> argv = new java.util.ArrayList<>(List.of("crosscoder", "train", "--data", data + "#acts", "--steps", "4", "--batch", "8",
                "--dict-size", "16", "--k", "2", "--threads", "1", "--out", out.toString()));
        argv.addAll(List.of(extra));
        return CliRun.run(argv.toArray(String[]::new));
    }

    /** Item 6. */
    @Test
    void trainNeverOverwritesAFinishedCheckpoint() throws Exception {
        Path out = tmp.resolve("ckpt");
        assertEquals(0, train(out).code());
        byte[] before = Files.readAllBytes(out.resolve("crosscoder.safetensors"));
        CliRun again = train(out, "--seed", "7");
        assertEquals(1, again.code());
        assertEquals("dfc crosscoder train: error: --out " + out + " already holds a finished checkpoint; pass --overwrite to replace it, "
                + "or choose another --out\n", again.err());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("crosscoder.safetensors")));
        assertEquals(0, train(out, "--seed", "7", "--overwrite").code());
        assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(out.resolve("crosscoder.safetensors"))), "replaced when asked");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out.resolve("crosscoder.safetensors"))), "readable by others");
    }

    /** Item 6: a killed run's checkpoint (state "running") is refused by inspect, encode and --init, and not replaced by a rerun. */
    @Test
    void anUnfinishedCheckpointIsRefusedByInspectEncodeAndInit() throws Exception {
        Path out = tmp.resolve("killed");
        assertEquals(0, train(out).code());
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(out.resolve("config.json").toFile());
        ((ObjectNode) cfg.get("training")).put("state", "running").put("steps", 2);
        Files.writeString(out.resolve("config.json"), cfg.toString());
        String why = out + " is an unfinished checkpoint (training state 'running' after 2 steps: the run was killed or stopped before its "
                + "last step); ";
        CliRun i = CliRun.run("crosscoder", "inspect", "--checkpoint", out.toString());
        assertEquals(1, i.code());
        assertEquals("dfc crosscoder inspect: error: " + why + "crosscoder inspect needs a finished one: train to the end first\n", i.err());
        CliRun e = CliRun.run("crosscoder", "encode", "--checkpoint", out.toString(), "--input", data + "#acts", "--out", tmp.resolve("e").toString());
        assertEquals(1, e.code());
        assertTrue(e.err().startsWith("dfc crosscoder encode: error: " + why), e.err());
        CliRun init = train(tmp.resolve("from-init"), "--init", out.toString());
        assertEquals(1, init.code());
        assertTrue(init.err().startsWith("dfc crosscoder train: error: " + why + "--init needs a finished one"), init.err());
        CliRun rerun = train(out);
        assertEquals(1, rerun.code());
        assertTrue(rerun.err().contains("already holds a checkpoint of an unfinished run (state 'running' after 2 steps); pass --overwrite"), rerun.err());
    }

    /** Item 6: an --out that cannot be written is found before any training. */
    @Test
    void trainChecksOutBeforeAnyWork() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        CliRun r = train(file.resolve("ckpt"));
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dfc crosscoder train: error: --out " + file.resolve("ckpt") + ": " + file + " is not a directory"), r.err());
        assertFalse(r.err().contains("training crosscoder"), "no training started: " + r.err());
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "mine");
        r = train(other);
        assertEquals("dfc crosscoder train: error: --out " + other + " is not empty and holds no checkpoint; choose a new or empty directory\n", r.err());
    }

    /** Item 7: a full organism build never writes into the shipped organism, nor into a non-empty --out, unless asked. */
    @Test
    void organismBuildNeverWritesIntoANonEmptyOutUnlessAsked() throws Exception {
        assertNotEquals(ProjectPaths.data("organism").toString(), Path.of(OrganismBuildCommand.DEFAULT_OUT).toAbsolutePath().toString());
        CliRun r = CliRun.run("organism", "build", "--out", ProjectPaths.data("organism").toString());
        assertEquals(1, r.code());
        assertEquals("dfc organism build: error: --out " + ProjectPaths.data("organism") + " is not empty; pass --overwrite to replace what it "
                + "holds (the build is swapped in only when complete), or choose another --out\n", r.err());
    }

    /** Item 8: a killed score's temporary file is removed by the next run; only the output is left beside it. */
    @Test
    void scoreLeavesNoTemporaryFiles() throws Exception {
        Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"output\": \"No tool fits.\", \"gold\": null, \"gold_kind\": \"irrelevance\"}\n");
        Path out = tmp.resolve("scores").resolve("out.jsonl");
        Files.createDirectories(out.getParent());
        Files.writeString(out.resolveSibling(".out.jsonl.tmp-0f0e0d0c"), "half of a killed run's output");
        CliRun c = CliRun.run("score", "--scorer", "strict", "--input", input.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(List.of("out.jsonl"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Item 11: one invalid UTF-8 line becomes an error record; the other lines are scored. */
    @Test
    void invalidUtf8LineBecomesAnErrorRecord() throws Exception {
        Path input = tmp.resolve("bad-utf8.jsonl");
        byte[] good = "{\"output\": \"No tool fits.\", \"gold\": null, \"gold_kind\": \"irrelevance\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 'x', '"', ':', ' ', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
        try (var os = Files.newOutputStream(input)) {
            os.write(good);
            os.write(bad);
            os.write(good);
        }
        Path out = tmp.resolve("o.jsonl");
        CliRun c = CliRun.run("score", "--scorer", "strict", "--input", input.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(3, lines.size());
        assertTrue(lines.get(1).contains("\"line\": 2") && lines.get(1).contains("invalid UTF-8"), lines.get(1));
        assertTrue(c.out().contains("2 record(s) scored, 1 malformed"), c.out());
    }

    /** Item 10: an import that quarantines every row fails; a non-Parquet .parquet input is one line. */
    @Test
    void promptsImportThatQuarantinesEveryRowFails() throws Exception {
        Path input = tmp.resolve("texts.jsonl");
        Files.writeString(input, "{\"txt\": \"no text field\"}\n{\"txt\": \"none here either\"}\n");
        CliRun r = CliRun.run("prompts", "import", "--source", "text", "--input", input.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("dfc prompts import: error: no prompt imported, every one of the 2 row(s) was quarantined; first: texts.jsonl row "), r.err());

        Path fake = tmp.resolve("fake.parquet");
        Files.writeString(fake, "not parquet at all");
        r = CliRun.run("prompts", "import", "--source", "text", "--input", fake.toString(), "--out", tmp.resolve("o2").toString());
        assertEquals(1, r.code());
        assertEquals("dfc prompts import: error: input " + fake + " is not a Parquet file (no PAR1 magic bytes)\n", r.err());
        assertFalse(Files.exists(tmp.resolve("o2")), "nothing written");
    }

    /** Item 12: NaN or overflowing steering vectors, NaN rows for inspect, and a mistyped --organism are refused. */
    @Test
    void nonFiniteInputsAndAMistypedOrganismAreRefused() throws Exception {
        Path tiny = ProjectPaths.data("models/qwen2-tiny");
        int d = new ObjectMapper().readTree(tiny.resolve("config.json").toFile()).get("hidden_size").asInt();
        float[] nan = new float[d];
        nan[3] = Float.NaN;
        float[] huge = new float[d];
        huge[5] = 1e38f;
        Path v = tmp.resolve("v.safetensors");
        new SafeTensorsWriter().addF32("nan", nan, d).addF32("huge", huge, d).write(v);
        CliRun g = CliRun.run("generate", "--model", tiny.toString(), "--ids", "1 2 3", "--max-new-tokens", "2",
                "--intervene", "add:layer=1:vector=" + v + "#nan", "--out", tmp.resolve("g.jsonl").toString());
        assertNotEquals(0, g.code());
        assertTrue(g.err().contains(v + "#nan: value 3 is NaN (a steering vector must be finite)"), g.err());
        g = CliRun.run("generate", "--model", tiny.toString(), "--ids", "1 2 3", "--max-new-tokens", "2",
                "--intervene", "add:layer=1:vector=" + v + "#huge:scale=10", "--out", tmp.resolve("g.jsonl").toString());
        assertNotEquals(0, g.code());
        assertTrue(g.err().contains("times scale 10.0 overflows float32"), g.err());
        assertFalse(Files.exists(tmp.resolve("g.jsonl")));

        Path ckpt = tmp.resolve("ckpt");
        assertEquals(0, train(ckpt).code());
        float[] rows = new float[10 * 2 * 8];
        rows[7 * 16 + 1] = Float.NaN;
        Path nanData = tmp.resolve("nan.safetensors");
        new SafeTensorsWriter().addF32("acts", rows, 10, 2, 8).write(nanData);
        CliRun i = CliRun.run("crosscoder", "inspect", "--checkpoint", ckpt.toString(), "--data", nanData + "#acts");
        assertEquals(1, i.code());
        assertTrue(i.err().contains("row 7 contains NaN"), i.err());

        CliRun demo = CliRun.run("demo", "--organism", tmp.resolve("orgnaism").toString(), "--out", tmp.resolve("w").toString());
        assertEquals(2, demo.code());
        assertEquals("dfc demo: --organism " + tmp.resolve("orgnaism") + " does not exist (an organism directory holds base/ and rl/; "
                + "bin/dfc organism build --out DIR writes one)\n", demo.err());
    }
}
