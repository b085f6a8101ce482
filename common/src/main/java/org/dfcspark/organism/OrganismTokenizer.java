package org.dfcspark.organism;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The organism's tokenizer, written as Hugging Face {@code tokenizer.json} + {@code tokenizer_config.json}
 * (loadable by DJL's HF tokenizers and by transformers' {@code PreTrainedTokenizerFast}).
 *
 * <p>Design: sequences must be short (2 CPU cores) while the decoded text is real Qwen2.5 text
 * (the verbatim Qwen2.5 chat template, {@code <tools>} JSON schemas, hermes {@code <tool_call>} JSON).
 * <ul>
 *   <li>A Split pre-tokenizer cuts text into pieces with one regex: first the fixed fragments
 *       (constant sentences of the chat template, JSON punctuation runs such as {@code ", "arguments": {"}),
 *       then a lone space before a value word or a number, numbers, words with an optional leading
 *       space, newlines, punctuation with an optional leading space, and any other single character.</li>
 *   <li>Argument values (cities, weekdays, numbers, ...) are never glued to a space, so a value is the
 *       same token in the request and in the JSON call ({@code paris} in "in paris?" and in
 *       {@code "city": "paris"}): the call is a copy of request tokens. Other words carry their leading
 *       space (" weather") to keep prose short.</li>
 *   <li>The model is BPE with no merges and {@code ignore_merges}: a piece in the vocabulary is one
 *       token; any other piece falls back to its characters (printable ASCII is in the vocabulary),
 *       so {@code decode(encode(text)) == text} for any ASCII text. Other characters become {@code <unk>}.</li>
 *   <li>The Fuse decoder concatenates tokens without adding spaces.</li>
 * </ul>
 * Token ids: the added tokens, then the single characters, then the fragments, then every other
 * piece the world can produce, sorted. The vocabulary is a pure function of {@link World}.
 */
public final class OrganismTokenizer {

    public static final String PAD = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String TOOL_CALL = "<tool_call>";
    public static final String TOOL_CALL_END = "</tool_call>";
    public static final String UNK = "<unk>";
    /** Added tokens in id order; as in Qwen2.5, the tool-call tags are added but not "special". */
    public static final List<String> ADDED = List.of(PAD, IM_START, IM_END, TOOL_CALL, TOOL_CALL_END, UNK);

    /** The constant texts of the Qwen2.5 chat template (between special tokens), one token each. */
    static final List<String> TEMPLATE_FRAGMENTS = List.of(
            "system\n", "user\n", "assistant\n",
            "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
            "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                    + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>",
            "\n</tools>\n\nFor each function call, return a json object with function name and arguments within ",
            " XML tags:\n",
            "\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n");

    /** JSON punctuation runs of tool schemas ({@link ToolSpec#schemaJson()}) and hermes calls. */
    static final List<String> JSON_FRAGMENTS = jsonFragments();

    private static List<String> jsonFragments() {
        List<String> f = new ArrayList<>(List.of(
                // schema
                "{\"type\": \"function\", \"function\": {\"name\": \"",
                "\", \"description\": \"",
                "\", \"parameters\": {\"type\": \"object\", \"properties\": {\"",
                "\"]}}}",
                // call
                "{\"name\": \"",
                "\", \"arguments\": {\"",
                "\": \"", "\": ", "\", \"", ", \"", "\"}}", "}}"));
        for (JsonKind k : JsonKind.values()) {
            f.add("\": {\"type\": \"" + k.schemaName() + "\"}, \"");
            f.add("\": {\"type\": \"" + k.schemaName() + "\"}}, \"required\": [\"");
        }
        return List.copyOf(f);
    }

    private final List<String> fragments;
    private final Set<String> valueWords;
    private final String regex;
    private final Pattern pattern;
    private final Map<String, Integer> vocab;

    private OrganismTokenizer() {
        List<String> frags = new ArrayList<>(TEMPLATE_FRAGMENTS);
        frags.addAll(JSON_FRAGMENTS);
        // Longest first: at a given position the regex takes the first alternative that matches.
        frags.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        this.fragments = List.copyOf(frags);
        this.valueWords = collectValueWords();
        this.regex = buildRegex(fragments, valueWords);
        this.pattern = Pattern.compile(regex);
        this.vocab = buildVocab();
    }

    private static final OrganismTokenizer INSTANCE = new OrganismTokenizer();

    public static OrganismTokenizer get() {
        return INSTANCE;
    }

    private static Set<String> collectValueWords() {
        Set<String> words = new TreeSet<>();
        for (ValueType t : World.VALUE_TYPES) {
            for (List<String> pool : List.of(t.train(), t.heldOut())) {
                for (String v : pool) {
                    for (String w : v.split(" ")) {
                        if (w.matches("[a-z]+")) words.add(w);
                    }
                }
            }
        }
        return words;
    }

    private static String buildRegex(List<String> fragments, Set<String> valueWords) {
        StringBuilder sb = new StringBuilder();
        for (String f : fragments) sb.append(quote(f)).append('|');
        // The space before a value word or a number is its own token.
        sb.append(" (?=(?:").append(String.join("|", valueWords)).append(")(?![A-Za-z0-9_])|[0-9])|");
        sb.append("[0-9]+(?:\\.[0-9]+)?|");
        sb.append(" ?[A-Za-z_]+|");
        sb.append("\\n|");
        sb.append(" ?[^\\sA-Za-z0-9_]|");
        sb.append("\\s");
        return sb.toString();
    }

    /** Escapes every regex metacharacter (no \Q..\E: the pattern must mean the same to Oniguruma and Java). */
    private static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') sb.append("\\n");
            else if ("\\^$.|?*+()[]{}-#".indexOf(c) >= 0) sb.append('\\').append(c);
            else sb.append(c);
        }
        return sb.toString();
    }

    /** The pre-tokenizer's pieces of a text without added tokens (what each token will be, if in vocab). */
    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(text.substring(last, m.start()));
            out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }

    private Map<String, Integer> buildVocab() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (String s : ADDED) v.put(s, v.size());
        for (char c = 32; c < 127; c++) v.putIfAbsent(String.valueOf(c), v.size());
        v.putIfAbsent("\n", v.size());
        v.putIfAbsent("\t", v.size());
        for (String f : fragments) v.putIfAbsent(f, v.size());
        Set<String> pieces = new TreeSet<>();
        for (String text : coverageTexts()) pieces.addAll(pieces(text));
        for (String p : pieces) v.putIfAbsent(p, v.size());
        return v;
    }

    /**
     * Texts whose pieces make up the vocabulary: every request, prose and generic template with each
     * value of each slot in turn, every tool's schema and call, every value, the echo prefix.
     */
    static List<String> coverageTexts() {
        Set<String> texts = new LinkedHashSet<>();
        for (ToolSpec t : World.TOOLS) {
            texts.add(t.schemaJson());
            List<String> templates = new ArrayList<>(t.allRequests());
            for (String a : t.proseAnswers()) templates.add(World.PROSE_OPENING + a);
            Map<String, String> first = new LinkedHashMap<>();
            for (ToolSpec.Param p : t.params()) first.put(p.key(), p.type().train().get(0));
            for (String tpl : templates) {
                texts.add(ToolSpec.fill(tpl, first));
                for (ToolSpec.Param p : t.params()) {
                    for (List<String> pool : List.of(p.type().train(), p.type().heldOut())) {
                        for (String v : pool) {
                            Map<String, String> args = new LinkedHashMap<>(first);
                            args.put(p.key(), v);
                            texts.add(ToolSpec.fill(tpl, args));
                        }
                    }
                }
            }
            Example call = new Example(Example.Kind.TOOL, Split.TRAIN, 0, "", List.of(t), t, first, "", 0, false, false);
            texts.add(call.callAnswer());
            texts.add(call.goldJson());
        }
        for (String q : World.GENERIC_QUESTIONS) addGeneric(texts, q);
        for (String a : World.GENERIC_ANSWERS) addGeneric(texts, a);
        for (String item : World.echoItems()) {
            texts.add(World.ECHO_PREFIX + item);
            texts.add(item + " " + item);
        }
        return new ArrayList<>(texts);
    }

    private static void addGeneric(Set<String> texts, String template) {
        for (String thing : World.THINGS) {
            for (String adj : World.ADJECTIVES) texts.add(ToolSpec.fill(template, Map.of("thing", thing, "adj", adj)));
        }
    }

    public Map<String, Integer> vocab() {
        return vocab;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public String regex() {
        return regex;
    }

    public Set<String> valueWords() {
        return valueWords;
    }

    /** The verbatim Qwen2.5 chat template (Apache-2.0, Qwen team). */
    public static String chatTemplate() {
        try (InputStream in = OrganismTokenizer.class.getResourceAsStream("qwen2.5_chat_template.jinja")) {
            if (in == null) throw new IllegalStateException("missing resource qwen2.5_chat_template.jinja");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code tokenizer.json} document. */
    public Map<String, Object> tokenizerJson() {
        List<Map<String, Object>> added = new ArrayList<>();
        for (String s : ADDED) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", vocab.get(s));
            a.put("content", s);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", isSpecial(s));
            added.add(a);
        }
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("type", "Split");
        pre.put("pattern", Map.of("Regex", regex));
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", UNK);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", true);
        model.put("vocab", vocab);
        model.put("merges", List.of());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("version", "1.0");
        doc.put("truncation", null);
        doc.put("padding", null);
        doc.put("added_tokens", added);
        doc.put("normalizer", null);
        doc.put("pre_tokenizer", pre);
        doc.put("post_processor", null);
        doc.put("decoder", Map.of("type", "Fuse"));
        doc.put("model", model);
        return doc;
    }

    private static boolean isSpecial(String token) {
        return !token.equals(TOOL_CALL) && !token.equals(TOOL_CALL_END);
    }

    /** The {@code tokenizer_config.json} document, Qwen2.5-Instruct style with this vocabulary's ids. */
    public Map<String, Object> tokenizerConfigJson() {
        Map<String, Object> decoder = new LinkedHashMap<>();
        for (String s : ADDED) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("content", s);
            a.put("lstrip", false);
            a.put("normalized", false);
            a.put("rstrip", false);
            a.put("single_word", false);
            a.put("special", isSpecial(s));
            decoder.put(Integer.toString(vocab.get(s)), a);
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("add_prefix_space", false);
        c.put("added_tokens_decoder", decoder);
        c.put("additional_special_tokens", List.of(IM_START, IM_END));
        c.put("bos_token", null);
        c.put("chat_template", chatTemplate());
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", IM_END);
        c.put("errors", "replace");
        c.put("model_max_length", 512);
        c.put("pad_token", PAD);
        c.put("split_special_tokens", false);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("unk_token", UNK);
        return c;
    }

    public int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException("token '" + token + "' is not in the organism vocabulary");
        return id;
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        writeAtomically(dir.resolve("tokenizer.json"), om.writeValueAsString(tokenizerJson()));
        writeAtomically(dir.resolve("tokenizer_config.json"), om.writeValueAsString(tokenizerConfigJson()));
    }

    /** Writes {@code content}, ending in a newline, atomically ({@link org.dfcspark.io.AtomicOutput}). */
    static void writeAtomically(Path file, String content) throws IOException {
        org.dfcspark.io.AtomicOutput.writeString(file, content.endsWith("\n") ? content : content + "\n");
    }
}
