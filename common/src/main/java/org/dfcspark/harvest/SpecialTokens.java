package org.dfcspark.harvest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Token ids excluded from harvesting by default: the added tokens marked {@code "special": true} in
 * tokenizer.json (Qwen2.5: {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>}, ...; BOS when a
 * model has one). Qwen's {@code <tool_call>} markers are added but not special, so they are kept.
 */
public final class SpecialTokens {
    private SpecialTokens() {}

    public static Set<Integer> ids(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the tokenizer: " + e.getMessage(), e);
        }
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("special").asBoolean(false)) ids.add(t.path("id").asInt());
        }
        return ids;
    }
}
