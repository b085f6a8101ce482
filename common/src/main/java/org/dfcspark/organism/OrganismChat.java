package org.dfcspark.organism;

import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;

/**
 * Turns world examples into token ids the way every other part of the project sees a prompt: the
 * example's prompts-table record rendered in {@code chat} mode ({@link Rendering}: the model's chat
 * template, Qwen2.5's, with the listed tools and the generation prompt), then the tokenizer. An answer is encoded on its own and closed with {@code <|im_end|>}, so
 * prompt ids + answer ids = the tokens of the fully rendered conversation (minus its final newline).
 */
public final class OrganismChat {
    private final Rendering rendering;
    private final Tokenizer tokenizer;

    public OrganismChat(ChatTemplate template, Tokenizer tokenizer) {
        this.rendering = Rendering.of(Rendering.Mode.CHAT, template);
        this.tokenizer = tokenizer;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The rendered prompt, ending with {@code <|im_start|>assistant\n}. */
    public String promptText(Example e) {
        return promptText(e.record());
    }

    public String promptText(PromptRecord r) {
        return rendering.render(r);
    }

    public int[] promptIds(Example e) {
        return tokenizer.encode(promptText(e));
    }

    /** Ids of an assistant answer followed by {@code <|im_end|>}. */
    public int[] answerIds(String answer) {
        return tokenizer.encode(answer + OrganismTokenizer.IM_END);
    }

    /** Prompt and answer ids concatenated, with where the answer starts. */
    public Sequence sequence(Example e, String answer) {
        int[] p = promptIds(e);
        int[] a = answerIds(answer);
        int[] all = new int[p.length + a.length];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(a, 0, all, p.length, a.length);
        return new Sequence(all, p.length);
    }

    /** Token ids of a conversation; positions {@code >= answerStart} are the assistant's answer. */
    public record Sequence(int[] ids, int answerStart) {}
}
