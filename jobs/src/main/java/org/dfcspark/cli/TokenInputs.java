package org.dfcspark.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;

/**
 * The token sequences a model command runs on, from exactly one of {@code --ids "1 2 3;4 5"} (sequences split by
 * ';', ids by spaces), {@code --text "..."} (repeatable: one sequence each) or {@code --chat FILE.json} (one
 * {@code {"messages": [...], "tools": [...]}} object or a list of them, rendered with the model's chat template
 * and its generation prompt). Text and chat use the tokenizer of {@code --tokenizer DIR} or of the model directory.
 */
final class TokenInputs {
    static final Set<String> FLAGS = Set.of("ids", "text", "chat", "tokenizer");
    static final String USAGE = String.join("\n",
            "  --ids \"1 2 3;4 5\"   token ids: sequences separated by ';', ids by spaces",
            "  --text TEXT         a text to tokenize (repeat for more sequences)",
            "  --chat FILE.json    {\"messages\": [...], \"tools\": [...]} or a list of them, rendered with the",
            "                      model's chat template (generation prompt added)",
            "  --tokenizer DIR     tokenizer.json / tokenizer_config.json for --text/--chat (default: the model dir)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenInputs() {}

    static List<int[]> read(Args args, Path modelDir) throws IOException {
        int given = (args.has("ids") ? 1 : 0) + (args.has("text") ? 1 : 0) + (args.has("chat") ? 1 : 0);
        if (given != 1) throw new UsageException("give exactly one of --ids, --text, --chat");
        if (args.has("ids")) return parseIds(args.get("ids"));
        Path tokDir = tokenizerDir(args, modelDir);
        try (Tokenizer tok = Tokenizer.load(tokDir)) {
            List<int[]> out = new ArrayList<>();
            if (args.has("text")) {
                for (String t : args.all("text")) out.add(tok.encode(t));
            } else {
                ChatTemplate template = ChatTemplate.load(tokDir);
                for (Conversation c : conversations(Path.of(args.get("chat")))) {
                    out.add(tok.encode(template.render(c.messages, c.tools, true)));
                }
            }
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).length == 0) throw new IllegalArgumentException("empty input: sequence " + i + " has no tokens");
            }
            return out;
        }
    }

    static Path tokenizerDir(Args args, Path modelDir) {
        return args.has("tokenizer") ? Path.of(args.get("tokenizer")) : modelDir;
    }

    /** The tokenizer for decoding outputs, or null when there is none (ids-only models such as qwen2-tiny). */
    static Tokenizer tokenizerOrNull(Args args, Path modelDir) {
        Path dir = tokenizerDir(args, modelDir);
        return Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
    }

    static List<int[]> parseIds(String spec) {
        List<int[]> seqs = new ArrayList<>();
        String[] parts = spec.split(";", -1);
        for (int s = 0; s < parts.length; s++) {
            String p = parts[s].trim();
            if (p.isEmpty()) throw new UsageException("--ids: sequence " + s + " is empty");
            String[] toks = p.split("\\s+");
            int[] ids = new int[toks.length];
            for (int i = 0; i < toks.length; i++) {
                try {
                    ids[i] = Integer.parseInt(toks[i]);
                } catch (NumberFormatException e) {
                    throw new UsageException("--ids: '" + toks[i] + "' in sequence " + s + " is not a token id");
                }
            }
            seqs.add(ids);
        }
        return seqs;
    }

    private record Conversation(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {}

    private static List<Conversation> conversations(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new IOException(file + ": file not found");
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON");
        }
        List<Conversation> out = new ArrayList<>();
        for (JsonNode c : root != null && root.isArray() ? root : List.of(root)) {
            if (c == null || !c.isObject() || !c.path("messages").isArray()) {
                throw new IOException(file + ": expected {\"messages\": [...], \"tools\": [...]} or a list of them");
            }
            List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), new TypeReference<>() {});
            List<Map<String, Object>> tools = c.has("tools") ? JSON.convertValue(c.get("tools"), new TypeReference<>() {}) : null;
            out.add(new Conversation(messages, tools));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("empty input: " + file + " holds no conversation");
        return out;
    }
}
