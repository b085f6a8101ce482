package org.dfcspark.harvest;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rendering + tokenization + teacher forcing on shipped ToolRL prompts with the tiny BPE tokenizer. */
class SequencePreparerTest {
    @TempDir
    static Path dir;
    static List<PromptRecord> records;

    @BeforeAll
    static void setUp() throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(ProjectPaths.data("tokenizers/tiny-bpe-500/" + f), dir.resolve(f));
        }
        records = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test")).records()
                .subList(0, 12);
    }

    private static SequencePreparer preparer(Rendering.Mode mode, PositionMode positions, int max, TruncationSide side) {
        return SequencePreparer.forModel(dir, mode, positions, max, side, false);
    }

    @Test
    void assistantModeTeacherForcesTheGoldToolCall() {
        PromptRecord r = records.stream().filter(x -> PromptRecord.TOOL_CALL.equals(x.goldKind())).findFirst().orElseThrow();
        try (SequencePreparer p = preparer(Rendering.Mode.CHAT, PositionMode.ASSISTANT, 4096, TruncationSide.RIGHT)) {
            Tokenizer tok = p.tokenizer();
            PreparedSequence s = p.prepare(3, r);
            // The sequence is the prompt followed by the gold assistant turn, exactly as the template renders it.
            String text = tok.decode(s.ids());
            String prompt = Rendering.of(Rendering.Mode.CHAT, ChatTemplate.load(dir)).render(r);
            assertTrue(text.startsWith(prompt));
            String answer = text.substring(prompt.length());
            assertTrue(answer.startsWith("<tool_call>\n{\"name\": "), answer);
            assertTrue(answer.endsWith("</tool_call><|im_end|>"), answer);
            // Harvested: the answer's tokens minus <|im_end|> (special); all inside the tool call here.
            int answerStart = tok.encode(prompt).length;
            assertEquals(answerStart, s.positions()[0]);
            assertEquals(s.length() - 2, s.positions()[s.positions().length - 1]);
            assertTrue(s.toolCallKnown());
            for (boolean f : s.inToolCall()) assertTrue(f);
            assertEquals(tok.tokenId("<tool_call>"), s.ids()[s.positions()[0]]);
        }
    }

    @Test
    void toolRlAndRawRenderingsUseToolRlsAnswerFormat() {
        PromptRecord r = records.stream().filter(x -> PromptRecord.TOOL_CALL.equals(x.goldKind())).findFirst().orElseThrow();
        for (Rendering.Mode mode : List.of(Rendering.Mode.TOOLRL, Rendering.Mode.RAW)) {
            try (SequencePreparer p = preparer(mode, PositionMode.ASSISTANT, 4096, TruncationSide.RIGHT)) {
                PreparedSequence s = p.prepare(0, r);
                int[] answer = java.util.Arrays.copyOfRange(s.ids(), s.positions()[0], s.length());
                String text = p.tokenizer().decode(answer);
                assertTrue(text.startsWith("<tool_call>\n{\"name\": "), mode + ": " + text);
                assertTrue(text.contains("\"parameters\": "), mode + ": " + text);
            }
        }
    }

    @Test
    void promptsWithoutToolCallGoldHaveNothingToHarvestInAssistantMode() {
        PromptRecord r = records.stream().filter(x -> !PromptRecord.TOOL_CALL.equals(x.goldKind())).findFirst().orElseThrow();
        try (SequencePreparer p = preparer(Rendering.Mode.CHAT, PositionMode.ASSISTANT, 4096, TruncationSide.RIGHT)) {
            assertEquals(0, p.prepare(0, r).positions().length);
        }
    }

    @Test
    void lastAndAllModesHarvestThePromptWithoutSpecialTokens() {
        PromptRecord r = records.get(0);
        try (SequencePreparer last = preparer(Rendering.Mode.CHAT, PositionMode.LAST, 4096, TruncationSide.RIGHT);
             SequencePreparer all = preparer(Rendering.Mode.CHAT, PositionMode.ALL, 4096, TruncationSide.RIGHT);
             SequencePreparer cut = preparer(Rendering.Mode.CHAT, PositionMode.LAST, 100, TruncationSide.RIGHT)) {
            Tokenizer tok = last.tokenizer();
            PreparedSequence l = last.prepare(0, r);
            // Chat prompts end with the generation prompt "<|im_start|>assistant\n": its "\n" is the last token.
            assertEquals(l.length() - 1, l.positions()[0]);
            assertEquals("\n", tok.decode(new int[] {l.ids()[l.positions()[0]]}));
            PreparedSequence a = all.prepare(0, r);
            long special = java.util.Arrays.stream(a.ids()).filter(id -> id == tok.tokenId("<|im_start|>") || id == tok.tokenId("<|im_end|>")).count();
            assertEquals(a.length() - special, a.positions().length);
            assertTrue(special >= 4);
            PreparedSequence c = cut.prepare(0, r);
            assertTrue(c.truncated());
            assertEquals(100, c.length());
            assertArrayEquals(java.util.Arrays.copyOf(l.ids(), 100), c.ids());
        }
    }
}
