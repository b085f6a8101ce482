package org.dfcspark.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTableJsonTest {
    @TempDir Path dir;

    @Test
    void recordsRoundTripAndLimitsApply() throws Exception {
        List<PromptRecord> recs = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test")).records();
        Path f = dir.resolve("p.jsonl");
        PromptTableJson.write(f, recs);
        assertEquals(recs, PromptTableJson.read(f, -1));
        assertEquals(recs.subList(0, 3), PromptTableJson.read(f, 3));
    }

    @Test
    void badLinesNameFileAndLine() throws Exception {
        PromptRecord good = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test")).records().get(0);
        Path ok = dir.resolve("ok.jsonl");
        PromptTableJson.write(ok, List.of(good));
        String line = Files.readString(ok).strip();
        record Case(String text, String message) {}
        for (Case c : List.of(
                new Case(line + "\n{not json", "line 2: malformed JSON"),
                new Case(line + "\n\n", "line 2: blank line"),
                new Case(line.replace("\"messages\"", "\"msgs\""), "line 1: no 'messages' array"),
                new Case(line.replace("\"gold_kind\":\"tool_call\"", "\"gold_kind\":\"maybe\""), "line 1: invalid record"),
                new Case("[1]", "line 1: not a JSON object"))) {
            Path f = dir.resolve("bad.jsonl");
            Files.writeString(f, c.text);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptTableJson.read(f, -1), c.message);
            assertTrue(e.getMessage().startsWith(f + ": " + c.message), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> PromptTableJson.read(dir.resolve("missing.jsonl"), -1));
    }
}
