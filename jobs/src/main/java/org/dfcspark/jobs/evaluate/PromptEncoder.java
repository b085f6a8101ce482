package org.dfcspark.jobs.evaluate;

import java.nio.file.Path;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;

/** Renders a record as the protocol says and tokenizes it with the models' (shared) tokenizer; decodes outputs. */
public final class PromptEncoder implements AutoCloseable {
    private final Tokenizer tokenizer;
    private final Rendering rendering;

    public PromptEncoder(Path modelDir, Protocol protocol) {
        this.tokenizer = Tokenizer.load(modelDir);
        this.rendering = Rendering.of(protocol.rendering(), protocol.rendering() == Rendering.Mode.RAW ? null : ChatTemplate.load(modelDir));
    }

    public int[] encode(PromptRecord r) {
        return tokenizer.encode(rendering.render(r));
    }

    /** The generated text without special tokens (what the scorers read). */
    public String decode(int[] ids) {
        return tokenizer.decode(ids, true);
    }

    public int padTokenId() {
        return tokenizer.padTokenId() != null ? tokenizer.padTokenId() : 0;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
