package org.dfcspark.cli;

import static org.dfcspark.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc forward | generate | demo} through {@link Main#run}, checked against the HF transformers
 * references of the qwen2-tiny oracle (common/src/test/resources/qwen2-tiny/expected.safetensors).
 */
class ModelCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;
    static SafeTensors expected;
    static Path tiny;

    @BeforeAll
    static void fixture() throws IOException {
        expected = SafeTensors.open(ProjectPaths.root().resolve("common/src/test/resources/qwen2-tiny/expected.safetensors"));
        tiny = ProjectPaths.data("models/qwen2-tiny");
    }

    private static String ids(String name) throws IOException {
        return Arrays.stream(expected.longs(name)).mapToObj(Long::toString).collect(Collectors.joining(" "));
    }

    private static long[] longs(String name) throws IOException {
        return expected.longs(name);
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double max = 0;
        for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
        assertTrue(max <= 1e-4, what + ": max abs diff " + max);
    }

    // ---------------------------------------------------------------- forward

    @Test
    void forwardWritesHfHiddenStatesAndLogits() throws IOException {
        Path out = tmp.resolve("fw.safetensors");
        String all = ids("seq1.input_ids") + ";" + ids("seq2.input_ids") + ";" + ids("seq3.input_ids");
        CliRun c = run("forward", "--model", tiny.toString(), "--ids", all, "--out", out.toString(), "--batch-size", "2");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("forward: 3 sequences, 40 tokens"), c.out());
        try (SafeTensors st = SafeTensors.open(out)) {
            assertEquals(9, st.names().size());
            for (int i = 0; i < 3; i++) {
                String p = "f32.seq" + (i + 1) + ".";
                assertArrayEquals(expected.info(p + "hidden_states").shape(), st.info("hidden_states." + i).shape());
                assertClose(expected.floats(p + "hidden_states"), st.floats("hidden_states." + i), "hidden_states." + i);
                assertClose(expected.floats(p + "last_layer_output"), st.floats("last_layer_output." + i), "last_layer_output." + i);
                assertClose(expected.floats(p + "logits"), st.floats("logits." + i), "logits." + i);
            }
        }
    }

    @Test
    void forwardBadInputs() {
        String out = tmp.resolve("x.safetensors").toString();
        assertEquals(0, run("forward", "--help").code());
        assertTrue(run("forward", "--help").out().contains("hidden_states.i"));
        CliRun unknown = run("forward", "--model", tiny.toString(), "--ids", "1 2", "--out", out, "--bogus", "1");
        assertEquals(2, unknown.code());
        assertEquals("dfc forward: unknown flag --bogus", unknown.err().strip());
        assertEquals(2, run("forward", "--model", tiny.toString(), "--ids", "1 x 2", "--out", out).code());
        CliRun empty = run("forward", "--model", tiny.toString(), "--ids", "1 2;;3", "--out", out);
        assertEquals(2, empty.code());
        assertTrue(empty.err().contains("sequence 1 is empty"), empty.err());
        assertEquals(2, run("forward", "--model", tiny.toString(), "--out", out).code(), "no input");
        assertEquals(2, run("forward", "--model", tiny.toString(), "--ids", "1", "--text", "a", "--out", out).code(), "two inputs");
        CliRun vocab = run("forward", "--model", tiny.toString(), "--ids", "1 2 512", "--out", out);
        assertEquals(1, vocab.code());
        assertEquals("dfc forward: error: token id 512 at sequence 0 position 2 is outside the vocabulary [0, 512)", vocab.err().strip());
        CliRun missing = run("forward", "--model", tmp.resolve("none").toString(), "--ids", "1", "--out", out);
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("config.json: file not found"), missing.err());
        assertEquals(1, missing.err().strip().lines().count());
        assertFalse(Files.exists(Path.of(out)), "nothing written on failure");
    }

    // ---------------------------------------------------------------- generate

    private List<JsonNode> lines(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(p)) out.add(JSON.readTree(l));
        return out;
    }

    private static int[] ints(JsonNode arr) {
        int[] a = new int[arr.size()];
        for (int i = 0; i < a.length; i++) a[i] = arr.get(i).asInt();
        return a;
    }

    private static int[] ints(long[] a) {
        return Arrays.stream(a).mapToInt(Math::toIntExact).toArray();
    }

    @Test
    void generateBatchedGreedyEqualsHf() throws IOException {
        Path out = tmp.resolve("gen.jsonl");
        String all = ids("seq1.input_ids") + ";" + ids("seq2.input_ids") + ";" + ids("seq3.input_ids");
        CliRun c = run("generate", "--model", tiny.toString(), "--ids", all, "--max-new-tokens", "12", "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        List<JsonNode> rows = lines(out);
        assertEquals(3, rows.size());
        int[] want = ints(longs("batch.new_tokens"));
        for (int i = 0; i < 3; i++) {
            JsonNode r = rows.get(i);
            assertEquals(List.of("index", "prompt_ids", "generated_ids", "text"), iterable(r));
            assertEquals(i, r.get("index").asInt());
            assertArrayEquals(ints(longs("seq" + (i + 1) + ".input_ids")), ints(r.get("prompt_ids")));
            assertArrayEquals(Arrays.copyOfRange(want, i * 12, i * 12 + 12), ints(r.get("generated_ids")));
            assertTrue(r.get("text").isNull(), "no tokenizer for the tiny model");
        }
    }

    private static List<String> iterable(JsonNode n) {
        List<String> k = new ArrayList<>();
        n.fieldNames().forEachRemaining(k::add);
        return k;
    }

    private Path vectors() throws IOException {
        Path f = tmp.resolve("vectors.safetensors");
        new SafeTensorsWriter().addF32("add_v", expected.floats("add.v"), 64)
                .addF32("replace_r", expected.floats("replace.r"), 1, 64)
                .addF32("short", new float[63], 63).write(f);
        return f;
    }

    @Test
    void generateWithInterventionsEqualsHfHooks() throws IOException {
        Path v = vectors();
        Path add = tmp.resolve("add.jsonl"), rep = tmp.resolve("rep.jsonl");
        String seq1 = ids("seq1.input_ids");
        CliRun a = run("generate", "--model", tiny.toString(), "--ids", seq1, "--max-new-tokens", "10",
                "--intervene", "add:layer=1:vector=" + v + "#add_v:scale=1:positions=all", "--out", add.toString());
        assertEquals(0, a.code(), a.err());
        assertArrayEquals(ints(longs("add.greedy10")), ints(lines(add).get(0).get("generated_ids")));
        CliRun r = run("generate", "--model", tiny.toString(), "--ids", seq1, "--max-new-tokens", "10",
                "--intervene", "replace:layer=1:vector=" + v + "#replace_r:positions=last:phase=prefill", "--out", rep.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(ints(longs("replace.greedy10")), ints(lines(rep).get(0).get("generated_ids")));
    }

    @Test
    void generateBadSpecsAndInputs() throws IOException {
        Path v = vectors();
        String out = tmp.resolve("bad.jsonl").toString();
        assertEquals(0, run("generate", "--help").code());
        String[] malformed = {
            "scale:layer=1:vector=" + v + "#add_v",                 // unknown kind
            "add:layer=1",                                            // no vector
            "add:vector=" + v + "#add_v",                             // no layer
            "add:layer=one:vector=" + v + "#add_v",                   // layer not an integer
            "add:layer=1:vector=" + v,                                // no #NAME
            "add:layer=1:vector=" + v + "#add_v:scale=big",           // scale not a number
            "add:layer=1:vector=" + v + "#add_v:positions=middle",    // unknown positions
            "replace:layer=1:vector=" + v + "#replace_r:phase=later", // unknown phase
            "replace:layer=1:vector=" + v + "#replace_r:scale=2",     // replace has no scale
            "add:layer=1:vector=" + v + "#add_v:colour=red",          // unknown key
            "add:layer=1:layer=2:vector=" + v + "#add_v",             // duplicate key
            "add:layer=3:vector=" + v + "#add_v",                     // layer beyond the model (3 layers)
        };
        for (String spec : malformed) {
            CliRun c = run("generate", "--model", tiny.toString(), "--ids", "1 2 3", "--max-new-tokens", "2", "--intervene", spec, "--out", out);
            assertEquals(2, c.code(), spec + " -> " + c.err());
            assertEquals(1, c.err().strip().lines().count(), c.err());
        }
        CliRun wrongSize = run("generate", "--model", tiny.toString(), "--ids", "1 2 3", "--max-new-tokens", "2",
                "--intervene", "add:layer=1:vector=" + v + "#short", "--out", out);
        assertEquals(1, wrongSize.code());
        assertTrue(wrongSize.err().contains("#short: expected a float vector of 64 values"), wrongSize.err());
        CliRun missingFile = run("generate", "--model", tiny.toString(), "--ids", "1 2 3", "--max-new-tokens", "2",
                "--intervene", "add:layer=1:vector=" + tmp.resolve("none.safetensors") + "#v", "--out", out);
        assertEquals(1, missingFile.code());
        assertTrue(missingFile.err().contains("none.safetensors: file not found"), missingFile.err());
        assertEquals(2, run("generate", "--model", tiny.toString(), "--ids", "1 2", "--out", out).code(), "no --max-new-tokens");
        assertEquals(2, run("generate", "--model", tiny.toString(), "--ids", "1 2", "--max-new-tokens", "2", "--temperature", "0.7",
                "--out", out).code(), "--temperature without --sample");
        assertFalse(Files.exists(Path.of(out)));
    }

    @Test
    void generateSamplingIsSeeded() throws IOException {
        Path a = tmp.resolve("a.jsonl"), b = tmp.resolve("b.jsonl");
        String[] common = {"generate", "--model", tiny.toString(), "--ids", ids("seq2.input_ids"), "--max-new-tokens", "12",
                "--sample", "--temperature", "1.5", "--top-p", "0.95", "--seed", "9"};
        assertEquals(0, run(concat(common, "--out", a.toString())).code());
        assertEquals(0, run(concat(common, "--out", b.toString())).code());
        assertEquals(Files.readString(a), Files.readString(b));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---------------------------------------------------------------- text and chat input (Qwen2.5 tokenizer)

    @Test
    void textAndChatInputsUseTheTokenizerAndTemplate() throws IOException {
        // a small random model with Qwen2.5's vocabulary, so real token ids fit
        Path model = tmp.resolve("qwen-vocab");
        Qwen2Config cfg = Qwen2Config.builder().hiddenSize(16).numHiddenLayers(1).numAttentionHeads(2).numKeyValueHeads(1)
                .intermediateSize(32).vocabSize(151936).eosTokenId(151645).build();
        try (Qwen2Model m = Qwen2Model.random(cfg, Device.cpu(), 1)) {
            m.save(model);
        }
        Path tokDir = ProjectPaths.data("tokenizers/qwen2.5");
        String text = "Hello, world! Steering tool calls.";
        Path out = tmp.resolve("t.jsonl");
        CliRun c = run("generate", "--model", model.toString(), "--tokenizer", tokDir.toString(), "--text", text,
                "--max-new-tokens", "4", "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        JsonNode row = lines(out).get(0);
        try (Tokenizer tok = Tokenizer.load(tokDir)) {
            assertArrayEquals(tok.encode(text), ints(row.get("prompt_ids")));
            assertEquals(tok.decode(ints(row.get("generated_ids"))), row.get("text").asText());
            assertEquals(4, row.get("generated_ids").size());

            Path chat = tmp.resolve("chat.json");
            Files.writeString(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}],"
                    + " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\","
                    + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]}");
            Path gen = tmp.resolve("chat.jsonl");
            CliRun g = run("generate", "--model", model.toString(), "--tokenizer", tokDir.toString(), "--chat", chat.toString(),
                    "--max-new-tokens", "1", "--out", gen.toString());
            assertEquals(0, g.code(), g.err());
            var messages = List.of(java.util.Map.<String, Object>of("role", "user", "content", "What is the weather in Paris?"));
            String rendered = ChatTemplate.load(tokDir).render(messages, JSON.convertValue(JSON.readTree(chat.toFile()).get("tools"),
                    new com.fasterxml.jackson.core.type.TypeReference<>() {}), true);
            assertTrue(rendered.contains("get_weather") && rendered.endsWith("<|im_start|>assistant\n"), rendered);
            assertArrayEquals(tok.encode(rendered), ints(lines(gen).get(0).get("prompt_ids")));
        }
    }

    // ---------------------------------------------------------------- demo

    @Test
    void demoGeneratesWithAndWithoutInterventions() {
        CliRun c = run("demo", "--max-new-tokens", "6", "--skip-organism");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("1) without intervention"), c.out());
        assertTrue(c.out().contains("2) with intervention: add a steering vector at blocks.1.hook_resid_post"), c.out());
        assertTrue(c.out().contains("3) with intervention: replace blocks.1.hook_resid_post"), c.out());
        assertTrue(c.out().matches("(?s).*steering changed [1-9]\\d* of 18 generated tokens.*"), c.out());
        assertTrue(c.out().contains("part 2, the demo experiment on the model organism, skipped"), c.out());
        assertEquals(2, run("demo", "--layer", "7").code());
        assertEquals(0, run("demo", "--help").code());
    }

    // ---------------------------------------------------------------- bench (tiny shape; CI has no Python)

    @Test
    void benchForwardRunsOnATinyShape() {
        CliRun c = run("bench", "forward", "--layers", "1", "--hidden", "32", "--heads", "2", "--kv-heads", "1",
                "--intermediate", "64", "--vocab", "100", "--batch", "2", "--prompt-len", "8", "--decode-steps", "2", "--repeats", "1");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().matches("(?s).*dfc \\(DJL/libtorch[^,]* prefill, JAVA decode\\): +prefill +[0-9.]+ tok/s.*decode +[0-9.]+ tok/s.*"), c.out());
        assertTrue(c.out().matches("(?s).*decode reads the weights at [0-9.]+ GB/s; this machine copies memory at [0-9.]+ GB/s.*"), c.out());
        assertTrue(c.out().matches("(?s).*decode with libtorch's step instead: +[0-9.]+ tok/s.*"), c.out());
        assertEquals(2, run("bench", "forward", "--heads", "3", "--hidden", "32", "--kv-heads", "2").code(), "heads not a multiple of kv heads");
        assertEquals(2, run("bench", "forward", "--batch", "0").code());
        assertEquals(0, run("bench", "forward", "--help").code());
    }

    @Test
    void benchEvaluateRefusesBadPairsBeforeAnyWork() {
        CliRun unknown = run("bench", "evaluate", "--pair", "qwen7b", "--no-python");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--pair must be organism or qwen0.5b, got qwen7b"), unknown.err());
        CliRun mixed = run("bench", "evaluate", "--pair", "qwen0.5b", "--crosscoder", "x", "--no-python");
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("--crosscoder is for --pair organism; the random pair brings its own"), mixed.err());
    }

}
