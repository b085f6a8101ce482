package org.dfcspark.cli;

import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.SparkSessions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `bin/dfc prompts import` through Main.run: exit codes and what it prints. */
class PromptsImportCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut, oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    @AfterAll
    static void stopSpark() {
        SparkSessions.get("test").stop();
    }

    String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void importsBfclWithExplicitAnswers(@TempDir Path dir) {
        int rc = Main.run(new String[] {"prompts", "import", "--source", "bfcl",
                "--input", ProjectPaths.data("bfcl/BFCL_v4_live_parallel.json").toString(),
                "--answers", ProjectPaths.data("bfcl/possible_answer/BFCL_v4_live_parallel.json").toString(),
                "--out", dir.toString()});
        assertEquals(0, rc, stderr());
        assertTrue(stdout().contains("BFCL_v4_live_parallel.json: 16 prompts {tool_call=16}, 0 quarantined"), stdout());
        assertTrue(stdout().contains("total: 16 prompts -> " + dir.resolve("prompts")), stdout());
        assertTrue(Files.isDirectory(dir.resolve("quarantine")));
    }

    @Test
    void importsGlaive(@TempDir Path dir) {
        int rc = Main.run(new String[] {"prompts", "import", "--source=sharegpt",
                "--input", ProjectPaths.data("glaive/glaive_toolcall_en_demo.json").toString(), "--out", dir.toString(), "--split", "demo"});
        assertEquals(0, rc, stderr());
        assertTrue(stdout().contains("glaive_toolcall_en_demo.json: 957 prompts {response=746, tool_call=211}, 0 quarantined"), stdout());
    }

    @Test
    void usageErrorsExit2() {
        assertEquals(2, Main.run(new String[] {"prompts", "import", "--source", "bfcl", "--input", "x", "--out", "y", "--bogus", "1"}));
        assertTrue(stderr().contains("dfc prompts import: unknown flag --bogus"), stderr());
        assertEquals(2, Main.run(new String[] {"prompts", "import", "--source", "xlam", "--input", "x", "--out", "y"}));
        assertTrue(stderr().contains("--source must be one of toolrl, bfcl, sharegpt, text, got 'xlam'"), stderr());
        assertEquals(2, Main.run(new String[] {"prompts", "import", "--source", "bfcl", "--input", "x"}));
        assertTrue(stderr().contains("missing required flag --out"), stderr());
        assertEquals(2, Main.run(new String[] {"prompts", "import", "--source", "text", "--input", "x", "--out", "y", "--answers", "z"}));
        assertTrue(stderr().contains("--answers is only for --source bfcl"), stderr());
    }

    @Test
    void badInputsExit1WithOneLine(@TempDir Path dir) throws Exception {
        assertEquals(1, Main.run(new String[] {"prompts", "import", "--source", "text", "--input", dir.resolve("none.jsonl").toString(),
                "--out", dir.resolve("o").toString()}));
        assertEquals("dfc prompts import: error: input not found: " + dir.resolve("none.jsonl") + "\n", stderr());

        Path q = dir.resolve("BFCL_v4_simple_python.json");
        Files.copy(ProjectPaths.data("bfcl/BFCL_v4_simple_python.json"), q);
        err.reset();
        assertEquals(1, Main.run(new String[] {"prompts", "import", "--source", "bfcl", "--input", q.toString(), "--out", dir.resolve("o").toString()}));
        assertEquals("dfc prompts import: error: BFCL category simple_python needs its possible-answer file: "
                + dir.resolve("possible_answer/BFCL_v4_simple_python.json") + " not found (pass --answers)\n", stderr());

        Path broken = dir.resolve("conv.json");
        Files.writeString(broken, "[{\"conversations\": [");
        err.reset();
        assertEquals(1, Main.run(new String[] {"prompts", "import", "--source", "sharegpt", "--input", broken.toString(), "--out", dir.resolve("o").toString()}));
        assertTrue(stderr().startsWith("dfc prompts import: error: " + broken + ": malformed JSON"), stderr());
    }
}
