package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.dfcspark.data.SafeTensorsFormatException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gets one line naming the file / tensor / token, and nothing is loaded. */
class BadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;
    static Qwen2Model model;

    @BeforeAll
    static void load() throws IOException {
        model = Qwen2Model.load(TinyFixture.f32Dir(), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A copy of the tiny f32 model directory. */
    private Path copyModel() throws IOException {
        Path dir = Files.createTempDirectory(tmp, "m");
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(TinyFixture.f32Dir().resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static IOException assertLoadFails(Path dir, Class<? extends IOException> type, String... fragments) {
        IOException e = assertThrows(type, () -> Qwen2Model.load(dir, Device.cpu()).close());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
    }

    // ---- model directory ----

    @Test
    void missingDirectory() {
        assertLoadFails(tmp.resolve("absent"), ModelFormatException.class, "config.json", "file not found");
    }

    @Test
    void missingConfig() throws IOException {
        Path dir = copyModel();
        Files.delete(dir.resolve("config.json"));
        assertLoadFails(dir, ModelFormatException.class, dir.resolve("config.json").toString(), "file not found");
    }

    @Test
    void missingWeights() throws IOException {
        Path dir = copyModel();
        Files.delete(dir.resolve("model.safetensors"));
        assertLoadFails(dir, ModelFormatException.class, dir.toString(), "no model.safetensors or model.safetensors.index.json");
    }

    @Test
    void missingShard() throws IOException {
        Path dir = Files.createTempDirectory(tmp, "sharded");
        try (var files = Files.list(TinyFixture.shardedDir())) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Files.delete(dir.resolve("model-00003-of-00004.safetensors"));
        assertLoadFails(dir, ModelFormatException.class, "model.safetensors.index.json", "shard 'model-00003-of-00004.safetensors'", "not found");
    }

    @Test
    void configNotJson() throws IOException {
        Path dir = copyModel();
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
        assertLoadFails(dir, ModelFormatException.class, "config.json", "not valid JSON");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.putArray("architectures").add("LlamaForCausalLM"));
        assertLoadFails(dir, ModelFormatException.class, "config.json", "unknown architecture", "LlamaForCausalLM");
    }

    @Test
    void missingConfigField() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.remove("num_attention_heads"));
        assertLoadFails(dir, ModelFormatException.class, "config.json", "missing field 'num_attention_heads'");
    }

    @Test
    void activeSlidingWindowOrOtherRopeRefused() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("use_sliding_window", true));
        assertLoadFails(dir, ModelFormatException.class, "use_sliding_window");
        Path dir2 = copyModel();
        editConfig(dir2, c -> ((ObjectNode) c.get("rope_parameters")).put("rope_type", "yarn"));
        assertLoadFails(dir2, ModelFormatException.class, "unsupported rope_type 'yarn'");
    }

    @Test
    void tensorShapeDiffersFromConfig() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("intermediate_size", 170));
        assertLoadFails(dir, ModelFormatException.class, "model.safetensors", "'model.layers.0.mlp.gate_proj.weight'",
                "shape [176, 64]", "[170, 64]");
    }

    @Test
    void untiedModelWithoutLmHead() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("tie_word_embeddings", false));
        assertLoadFails(dir, ModelFormatException.class, "'lm_head.weight' is missing");
    }

    // ---- safetensors content, surfaced by the loader with the file named ----

    private record Parts(ObjectNode header, byte[] data) {}

    private static Parts parts(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        return new Parts(header, Arrays.copyOfRange(all, 8 + (int) n, all.length));
    }

    private static void write(Path file, byte[] header, long declaredLength, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Files.write(file, b.array());
    }

    private Path corrupt(Consumer<Parts> edit, Long declaredLength, Integer keepDataBytes) throws IOException {
        Path dir = copyModel();
        Path f = dir.resolve("model.safetensors");
        Parts p = parts(f);
        edit.accept(p);
        byte[] h = JSON.writeValueAsBytes(p.header);
        byte[] data = keepDataBytes == null ? p.data : Arrays.copyOf(p.data, keepDataBytes);
        write(f, h, declaredLength == null ? h.length : declaredLength, data);
        return dir;
    }

    private static void offsets(Parts p, String tensor, long begin, long end) {
        ArrayNode o = ((ObjectNode) p.header.get(tensor)).putArray("data_offsets");
        o.add(begin);
        o.add(end);
    }

    @Test
    void truncatedFile() throws IOException {
        Path dir = corrupt(p -> {}, null, 1000);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "out of range");
    }

    @Test
    void headerLengthBeyondEndOfFile() throws IOException {
        Path dir = corrupt(p -> {}, 10_000_000L, 0);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "beyond the end of the file");
    }

    @Test
    void headerOver100MB() throws IOException {
        Path dir = corrupt(p -> {}, 200L * 1024 * 1024, null);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "100 MB");
    }

    @Test
    void headerNotJson() throws IOException {
        Path dir = copyModel();
        Path f = dir.resolve("model.safetensors");
        byte[] junk = "{\"model.norm.weight\": [".getBytes(StandardCharsets.UTF_8);
        write(f, junk, junk.length, new byte[16]);
        assertLoadFails(dir, SafeTensorsFormatException.class, f.toString(), "not valid JSON");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path dir = corrupt(p -> offsets(p, "model.norm.weight", p.data.length - 128, p.data.length + 128), null, null);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "'model.norm.weight'", "out of range");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path dir = corrupt(p -> {
            var src = p.header.get("model.layers.0.input_layernorm.weight").get("data_offsets");
            offsets(p, "model.layers.0.post_attention_layernorm.weight", src.get(0).asLong(), src.get(1).asLong());
        }, null, null);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "overlap");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path dir = corrupt(p -> ((ObjectNode) p.header.get("model.norm.weight")).put("dtype", "F8_E4M3"), null, null);
        assertLoadFails(dir, SafeTensorsFormatException.class, dir.resolve("model.safetensors").toString(), "'model.norm.weight'",
                "unsupported dtype F8_E4M3");
        // a dtype the file format knows but a weight cannot have
        Path dir2 = corrupt(p -> {
            ObjectNode t = (ObjectNode) p.header.get("model.norm.weight");
            t.put("dtype", "I32");
        }, null, null);
        assertLoadFails(dir2, ModelFormatException.class, "'model.norm.weight'", "unsupported dtype I32");
    }

    // ---- token input ----

    @Test
    void tokenIdOutsideVocabulary() {
        try (NDManager scope = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(scope, TokenBatch.leftPadded(List.of(new int[] {1, 2}, new int[] {3, 512, 4}), 0), List.of()));
            assertEquals("token id 512 at sequence 1 position 1 is outside the vocabulary [0, 512)", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(scope, TokenBatch.leftPadded(List.of(new int[] {-1}), 0), List.of()));
        }
        GenerationConfig g = GenerationConfig.greedy(2, List.of(), 0);
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(model, List.of(new int[] {600}), g, List.of()));
    }

    @Test
    void emptyInput() {
        assertEquals("empty input: no sequences given",
                assertThrows(IllegalArgumentException.class, () -> TokenBatch.leftPadded(List.of(), 0)).getMessage());
        assertEquals("empty input: sequence 1 has no tokens",
                assertThrows(IllegalArgumentException.class, () -> TokenBatch.leftPadded(List.of(new int[] {1}, new int[0]), 0)).getMessage());
        GenerationConfig g = GenerationConfig.greedy(2, List.of(), 0);
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(model, List.of(), g, List.of()));
    }

    @Test
    void badInterventions() {
        TokenBatch batch = TokenBatch.leftPadded(List.of(new int[] {1, 2, 3}), 0);
        try (NDManager scope = NDManager.newBaseManager()) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.forward(scope, batch,
                    List.of(Intervention.capture(HookPoint.residPost(3), Positions.all())))).getMessage()
                    .contains("blocks.3.hook_resid_post: the model has 3 layers"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.forward(scope, batch,
                    List.of(Intervention.add(HookPoint.residPost(0), new float[63], 1, Positions.all(), Phase.PREFILL)))).getMessage()
                    .contains("vector has 63 values, hidden size is 64"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.forward(scope, batch,
                    List.of(Intervention.capture(HookPoint.residPost(0), Positions.indices(3))))).getMessage()
                    .contains("position index 3 is outside row 0 (prompt length 3)"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HookPoint.parse("blocks.x.hook_resid_post")).getMessage()
                .contains("unknown hook point 'blocks.x.hook_resid_post'"));
        assertEquals(HookPoint.residPost(13), HookPoint.parse("blocks.13.hook_resid_post"));
        assertEquals("blocks.2.hook_resid_pre", HookPoint.parse("blocks.2.hook_resid_pre").name());
    }
}
