package org.dfcspark.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer-related fields of a model directory's {@code tokenizer_config.json} (special-token
 * strings, chat template) and {@code generation_config.json} (eos/pad ids). Both files are optional;
 * a file that exists but is not valid JSON is an error naming it.
 */
record ModelConfigFiles(Path tokenizerConfigFile, Map<String, String> specialTokens, String chatTemplate,
                        List<Integer> generationEosIds, Integer generationPadId) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_KEYS = List.of("bos_token", "eos_token", "unk_token", "pad_token");

    static ModelConfigFiles read(Path modelDir) {
        Path tc = modelDir.resolve("tokenizer_config.json");
        Map<String, String> special = new LinkedHashMap<>();
        String template = null;
        JsonNode t = readOptional(tc);
        if (t != null) {
            for (String key : SPECIAL_KEYS) {
                String s = tokenString(t.get(key));
                if (s != null) special.put(key, s);
            }
            template = chatTemplate(tc, t.get("chat_template"));
        }
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (template == null && Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(jinja + ": unreadable: " + Tokenizer.firstLine(e), e);
            }
        }

        List<Integer> eos = new ArrayList<>();
        Integer pad = null;
        Path gc = modelDir.resolve("generation_config.json");
        JsonNode g = readOptional(gc);
        if (g != null) {
            JsonNode e = g.get("eos_token_id");
            if (e != null && e.isArray()) e.forEach(x -> eos.add(intField(gc, "eos_token_id", x)));
            else if (e != null && !e.isNull()) eos.add(intField(gc, "eos_token_id", e));
            JsonNode p = g.get("pad_token_id");
            if (p != null && !p.isNull()) pad = intField(gc, "pad_token_id", p);
        }
        return new ModelConfigFiles(tc, Collections.unmodifiableMap(special), template,
                Collections.unmodifiableList(eos), pad);
    }

    private static JsonNode readOptional(Path file) {
        if (!Files.exists(file)) return null;
        try {
            JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            if (n == null || !n.isObject()) throw new IOException("top level is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + Tokenizer.firstLine(e), e);
        }
    }

    /** A special token is written either as a string or as an AddedToken object with "content". */
    private static String tokenString(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.path("content").asText();
        return null;
    }

    /** A string, or transformers' list form [{name, template}] of which "default" is the one used. */
    private static String chatTemplate(Path file, JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isArray()) {
            for (JsonNode named : n) {
                if ("default".equals(named.path("name").asText())) return named.path("template").asText();
            }
            throw new IllegalArgumentException(file + ": chat_template is a list without a 'default' entry");
        }
        throw new IllegalArgumentException(file + ": chat_template is neither a string nor a list");
    }

    private static int intField(Path file, String field, JsonNode n) {
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException(file + ": " + field + " must be an integer, got " + n);
        }
        return n.asInt();
    }
}
