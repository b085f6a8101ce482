package org.dfcspark.cli;

import org.dfcspark.data.ProjectPaths;
import org.dfcspark.jobs.SparkSessions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `bin/dfc prompts import` through Main.run: exit codes and what it prints. */
class PromptsImportCommandTest {
    @AfterAll
    static void stopSpark() {
        SparkSessions.get("test").stop();
    }

    @Test
    void importsBfclWithExplicitAnswers(@TempDir Path dir) {
        CliRun r = CliRun.run("prompts", "import", "--source", "bfcl",
                "--input", ProjectPaths.data("bfcl/BFCL_v4_live_parallel.json").toString(),
                "--answers", ProjectPaths.data("bfcl/possible_answer/BFCL_v4_live_parallel.json").toString(),
                "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("BFCL_v4_live_parallel.json: 16 prompts {tool_call=16}, 0 quarantined"), r.out());
        assertTrue(r.out().contains("total: 16 prompts -> " + dir.resolve("prompts")), r.out());
        assertTrue(Files.isDirectory(dir.resolve("quarantine")));
    }

    @Test
    void importsGlaive(@TempDir Path dir) {
        CliRun r = CliRun.run("prompts", "import", "--source=sharegpt",
                "--input", ProjectPaths.data("glaive/glaive_toolcall_en_demo.json").toString(), "--out", dir.toString(), "--split", "demo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("glaive_toolcall_en_demo.json: 957 prompts {response=746, tool_call=211}, 0 quarantined"), r.out());
    }

    @Test
    void usageErrorsExit2() {
        CliRun r = CliRun.run("prompts", "import", "--source", "bfcl", "--input", "x", "--out", "y", "--bogus", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("dfc prompts import: unknown flag --bogus"), r.err());
        r = CliRun.run("prompts", "import", "--source", "xlam", "--input", "x", "--out", "y");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--source must be one of toolrl, bfcl, sharegpt, text, got 'xlam'"), r.err());
        r = CliRun.run("prompts", "import", "--source", "bfcl", "--input", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing required flag --out"), r.err());
        r = CliRun.run("prompts", "import", "--source", "text", "--input", "x", "--out", "y", "--answers", "z");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--answers is only for --source bfcl"), r.err());
    }

    @Test
    void badInputsExit1WithOneLine(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.run("prompts", "import", "--source", "text", "--input", dir.resolve("none.jsonl").toString(),
                "--out", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertEquals("dfc prompts import: error: input not found: " + dir.resolve("none.jsonl") + "\n", r.err());

        Path q = dir.resolve("BFCL_v4_simple_python.json");
        Files.copy(ProjectPaths.data("bfcl/BFCL_v4_simple_python.json"), q);
        r = CliRun.run("prompts", "import", "--source", "bfcl", "--input", q.toString(), "--out", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertEquals("dfc prompts import: error: BFCL category simple_python needs its possible-answer file: "
                + dir.resolve("possible_answer/BFCL_v4_simple_python.json") + " not found (pass --answers)\n", r.err());

        Path broken = dir.resolve("conv.json");
        Files.writeString(broken, "[{\"conversations\": [");
        r = CliRun.run("prompts", "import", "--source", "sharegpt", "--input", broken.toString(), "--out", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dfc prompts import: error: " + broken + ": malformed JSON"), r.err());
    }
}
