package org.dfcspark.cli;

import org.dfcspark.py.PyValues;
import org.dfcspark.py.PythonJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.dfcspark.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/dfc score} end to end through {@link Main#run}: on the oracle fixture files (kept in
 * common/src/test/resources/toolcall-scoring) every output line carries the fixture's {@code expected} fields
 * with the same values; malformed lines become error records and the rest are scored.
 */
class ScoreCommandTest {
    @TempDir
    Path tmp;

    @Test
    void paperOnFixtureFileReproducesExpected() throws IOException {
        assertEquals(542, runOnFixture("paper", "seed_scorer.jsonl"));
    }

    @Test
    void toolRlOnFixtureFileReproducesExpected() throws IOException {
        assertEquals(502, runOnFixture("toolrl", "toolrl_reward.jsonl"));
    }

    @Test
    void bfclOnFixtureFileReproducesExpected() throws IOException {
        assertEquals(1309, runOnFixture("bfcl", "bfcl_ast.jsonl"));
    }

    /** Runs the command on a fixture file and checks every expected field of every line; returns the line count. */
    private int runOnFixture(String scorer, String file) throws IOException {
        Path input = repoRoot().resolve("common/src/test/resources/toolcall-scoring").resolve(file);
        Path out = tmp.resolve(scorer + ".out().jsonl");
        CliRun c = run("score", "--scorer", scorer, "--input", input.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        List<String> inLines = Files.readAllLines(input, StandardCharsets.UTF_8);
        List<Map<String, Object>> outRows = readJsonl(out);
        assertEquals(inLines.size(), outRows.size());
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < outRows.size(); i++) {
            Map<String, Object> row = outRows.get(i);
            Map<String, Object> inRow = map(PythonJson.loads(inLines.get(i)));
            @SuppressWarnings("unchecked")
            Map<String, Object> expected = (Map<String, Object>) row.get("expected");
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                Object got = row.get(e.getKey());
                boolean same = PyValues.eq(got, e.getValue()) && PyValues.sameType(got, e.getValue());
                if (!same) bad.add(row.get("case_id") + "." + e.getKey() + ": " + got + " vs " + e.getValue());
            }
            for (Map.Entry<String, Object> e : inRow.entrySet()) {   // the input record is kept as it was
                if (!PyValues.eq(row.get(e.getKey()), e.getValue()) && !(e.getValue() instanceof Double d && d.isNaN())) {
                    bad.add(row.get("case_id") + ": input field " + e.getKey() + " changed");
                }
            }
        }
        assertEquals(List.of(), bad);
        assertTrue(c.out().contains(outRows.size() + " record(s) scored, 0 malformed"), c.out());
        return outRows.size();
    }

    @Test
    void strictScoresItsOwnRecords() throws IOException {
        Path input = tmp.resolve("strict.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"id\": 1, \"output\": \"<tool_call>\\n{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {\\\"x\\\": 2}}\\n</tool_call>\", "
                        + "\"gold\": [{\"name\": \"f\", \"arguments\": {\"x\": 2}}], \"gold_kind\": \"tool_call\", "
                        + "\"tools\": [{\"name\": \"f\", \"parameters\": {\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"integer\"}}}}]}",
                "{\"id\": 2, \"output\": \"<tool_call>\\n{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {\\\"x\\\": 2.0}}\\n</tool_call>\", "
                        + "\"gold\": \"[{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {\\\"x\\\": 2}}]\", \"gold_kind\": \"tool_call\"}",
                "{\"id\": 3, \"output\": \"No tool fits.\", \"gold\": null, \"gold_kind\": \"irrelevance\"}") + "\n");
        Path out = tmp.resolve("strict.out().jsonl");
        CliRun c = run("score", "--scorer", "strict", "--input", input.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        List<Map<String, Object>> rows = readJsonl(out);
        assertEquals(List.of(true, false, true), rows.stream().map(r -> r.get("correct")).toList());
        assertEquals("type_error", rows.get(1).get("error_type"));
        assertEquals("hermes", rows.get(0).get("output_format"));
        assertEquals(1L, rows.get(0).get("n_called"));
        assertTrue(c.out().contains("correct 2/3 = 66.7% ["), c.out());
    }

    @Test
    void malformedLinesGetErrorRecordsAndTheRestAreScored() throws IOException {
        Path input = tmp.resolve("mixed.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"prompt\": \"1. Name: getWeather\\n\", \"response\": \"<tool_call>{\\\"name\\\": \\\"getWeather\\\"}\"}",
                "{\"prompt\": \"x\", \"response\": ",
                "[1, 2]",
                "",
                "{\"prompt\": \"x\"}",
                "{\"prompt\": 5, \"response\": \"y\"}",
                "{\"prompt\": \"1. Name: a\", \"response\": \"\\\"name\\\": \\\"a\\\"\"}") + "\n");
        Path out = tmp.resolve("mixed.out().jsonl");
        CliRun c = run("score", "--scorer", "paper", "--input", input.toString(), "--out", out.toString());
        assertEquals(0, c.code());
        List<Map<String, Object>> rows = readJsonl(out);
        assertEquals(6, rows.size());
        assertEquals(2L, rows.get(0).get("overall_score"));
        assertEquals(2L, rows.get(1).get("line"));
        assertTrue(((String) rows.get(1).get("error")).startsWith("invalid JSON: Expecting value"));
        assertEquals("{\"prompt\": \"x\", \"response\": ", rows.get(1).get("raw"));
        assertEquals("not a JSON object", rows.get(2).get("error"));
        assertEquals(3L, rows.get(2).get("line"));
        assertEquals("missing field 'response'", rows.get(3).get("error"));
        assertEquals("x", rows.get(3).get("prompt"));
        assertEquals(5L, rows.get(3).get("line"));
        assertEquals("field 'prompt' must be a string", rows.get(4).get("error"));
        assertEquals(1L, rows.get(5).get("overall_score"));
        assertFalse(rows.get(0).containsKey("error"));
        assertTrue(c.out().contains("2 record(s) scored, 4 malformed, 1 blank"), c.out());
        assertTrue(c.err().contains("warning: 4 malformed line(s); first: " + input + " line 2: invalid JSON"), c.err());
    }

    @Test
    void aFileWithOnlyMalformedLinesExitsOneWithItsErrorRecords() throws IOException {
        Path input = tmp.resolve("broken.jsonl");
        Files.writeString(input, "{\"prompt\": \"x\", \"response\": \n[1, 2]\n\n");
        Path out = tmp.resolve("broken.out.jsonl");
        CliRun c = run("score", "--scorer", "strict", "--input", input.toString(), "--out", out.toString());
        assertEquals(1, c.code(), c.err());
        assertTrue(c.err().contains("none of the 2 non-blank line(s) of " + input + " could be scored"), c.err());
        assertEquals(2, readJsonl(out).size(), "the error records are still written, to say what was wrong");
    }

    @Test
    void recordsTheScorerCannotTakeAreErrorRecords() throws IOException {
        Path input = tmp.resolve("bad.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"solution_str\": \"<|im_start|>assistant\\nx<|im_end|>\", \"ground_truth\": \"y\", \"env\": {\"EXPERIMENT_NAME\": \"qwen\", \"WITHLENGTH\": \"1\"}}",
                "{\"solution_str\": \"x\", \"ground_truth\": \"y\", \"env\": {\"EXPERIMENT_NAME\": \"gpt\"}}") + "\n");
        Path out = tmp.resolve("bad.out().jsonl");
        assertEquals(0, run("score", "--scorer", "toolrl", "--input", input.toString(), "--out", out.toString()).code());
        List<Map<String, Object>> rows = readJsonl(out);
        assertEquals("ToolRL reward switch WITHLENGTH=1 is not supported (only the training default is reproduced)",
                rows.get(0).get("error"));
        assertEquals("NotImplementedError", rows.get(1).get("raises"));   // what the original does for a non-qwen/llama run

        Path bfclIn = tmp.resolve("bfcl.jsonl");
        Files.writeString(bfclIn, "{\"category\": \"multi_turn_base\", \"functions\": [], \"possible_answer\": [], \"model_result_raw\": \"\"}\n"
                + "{\"category\": \"simple_python\", \"functions\": [], \"model_result_raw\": \"\"}\n");
        Path bfclOut = tmp.resolve("bfcl.out().jsonl");
        // nothing in this file can be scored: the error records are written and the exit says the result is unusable
        assertEquals(1, run("score", "--scorer", "bfcl", "--input", bfclIn.toString(), "--out", bfclOut.toString()).code());
        List<Map<String, Object>> b = readJsonl(bfclOut);
        assertEquals("BFCL category 'multi_turn_base' is not scored by the AST checker", b.get(0).get("error"));
        assertEquals("field 'possible_answer' must be a list for category simple_python", b.get(1).get("error"));
    }

    @Test
    void badCommandLinesExitWithOneLine() {
        CliRun unknown = run("score", "--scorer", "exact", "--input", "x", "--out", "y");
        assertEquals(2, unknown.code());
        assertEquals("dfc score: --scorer must be one of paper, toolrl, bfcl, strict, got 'exact'", unknown.err().strip());
        CliRun missingOut = run("score", "--scorer", "paper", "--input", "x");
        assertEquals(2, missingOut.code());
        assertEquals("dfc score: missing required flag --out", missingOut.err().strip());
        CliRun noFile = run("score", "--scorer", "paper", "--input", tmp.resolve("nope.jsonl").toString(),
                "--out", tmp.resolve("o.jsonl").toString());
        assertEquals(1, noFile.code());
        assertEquals("dfc score: error: cannot read input " + tmp.resolve("nope.jsonl") + ": no such file", noFile.err().strip());
        assertFalse(Files.exists(tmp.resolve("o.jsonl")));
    }

    // ------------------------------------------------------------------------------------------- helpers


    private static List<Map<String, Object>> readJsonl(Path p) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) rows.add(map(PythonJson.loads(line)));
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/dfc"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no bin/dfc above the working directory");
        return p;
    }
}
