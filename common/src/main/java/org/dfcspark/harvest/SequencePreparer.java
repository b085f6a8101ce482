package org.dfcspark.harvest;

import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.data.TeacherForcing;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;

/**
 * Prompt record -> {@link PreparedSequence}: render (raw | chat | toolrl), tokenize, append the teacher-forced gold
 * answer in assistant mode (prompt and answer are tokenized separately and concatenated, so the answer's tokens
 * start exactly at the end of the prompt's), then truncate and select positions ({@link PositionPlanner}).
 */
public final class SequencePreparer implements AutoCloseable {
    private final Tokenizer tokenizer;
    private final Rendering rendering;
    private final ChatTemplate template;
    private final PositionPlanner planner;

    public SequencePreparer(Tokenizer tokenizer, Rendering.Mode mode, ChatTemplate template, PositionPlanner planner) {
        this.tokenizer = tokenizer;
        this.rendering = Rendering.of(mode, template);
        this.template = template;
        this.planner = planner;
    }

    /**
     * The tokenizer and chat template of {@code modelDir}, the special tokens excluded unless {@code includeSpecial},
     * and {@code <tool_call>}/{@code </tool_call>} as the tool-call markers when they are single tokens.
     */
    public static SequencePreparer forModel(Path modelDir, Rendering.Mode mode, PositionMode positions, int maxLength,
                                            TruncationSide side, boolean includeSpecial) {
        Tokenizer tok = Tokenizer.load(modelDir);
        try {
            ChatTemplate template = mode == Rendering.Mode.RAW ? null : ChatTemplate.load(modelDir);
            Set<Integer> excluded = includeSpecial ? Set.of() : SpecialTokens.ids(modelDir);
            PositionPlanner planner = new PositionPlanner(positions, maxLength, side, excluded,
                    tok.tokenId("<tool_call>"), tok.tokenId("</tool_call>"));
            return new SequencePreparer(tok, mode, template, planner);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public PreparedSequence prepare(long ordinal, PromptRecord r) {
        int[] promptIds = tokenizer.encode(rendering.render(r));
        int[] answerIds = new int[0];
        if (planner.mode() == PositionMode.ASSISTANT) {
            String answer = TeacherForcing.answer(rendering.mode(), template, r);
            if (answer != null) answerIds = tokenizer.encode(answer);
        }
        return planner.plan(ordinal, r.id(), r.source(), promptIds, answerIds);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
