package org.dfcspark.organism;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.model.GenerationResult;
import org.dfcspark.model.Generator;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shipped organism (data/organism): it loads, computes what Hugging Face transformers computes, and
 * B / rl-mid / A have the intended greedy strict rates on held-out tool requests. (The Parquet prompts
 * tables are checked by the jobs module's OrganismBuildCommandTest, which has Spark.)
 */
class ShippedOrganismTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = ProjectPaths.data("organism");
    private static final int RATE_PROMPTS = 200;
    private static final Map<String, Qwen2Model> MODELS = new HashMap<>();
    private static Tokenizer tokenizer;
    private static OrganismChat chat;
    private static long seed;

    @BeforeAll
    static void load() throws Exception {
        seed = JSON.readTree(DIR.resolve("build.json").toFile()).get("seed").asLong();
        Path base = DIR.resolve(OrganismModel.BASE);
        tokenizer = Tokenizer.load(base);
        chat = new OrganismChat(ChatTemplate.load(base), tokenizer);
        for (String m : List.of(OrganismModel.BASE, OrganismModel.RL_MID, OrganismModel.RL)) {
            MODELS.put(m, Qwen2Model.load(DIR.resolve(m), Device.cpu()));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(Qwen2Model::close);
        tokenizer.close();
    }

    @Test
    void modelDirectoriesCarryTheOrganismTokenizer() throws Exception {
        String tj = JSON.writeValueAsString(OrganismTokenizer.get().tokenizerJson());
        for (String m : MODELS.keySet()) {
            Path d = DIR.resolve(m);
            assertEquals(JSON.readTree(tj), JSON.readTree(d.resolve("tokenizer.json").toFile()), m);
            assertTrue(Files.isRegularFile(d.resolve("tokenizer_config.json")) && Files.isRegularFile(d.resolve("generation_config.json")), m);
            assertEquals(OrganismModel.config(), MODELS.get(m).config(), m);
        }
    }

    /** Logits and greedy continuations of transformers' Qwen2ForCausalLM (tools/reference/organism_check.py models). */
    @Test
    void runtimeReproducesTransformers() throws Exception {
        JsonNode fixture;
        try (InputStream in = ShippedOrganismTest.class.getResourceAsStream("/organism/hf_reference.json")) {
            fixture = JSON.readTree(in);
        }
        OrganismEval eval = new OrganismEval(chat);
        int checked = 0;
        for (JsonNode c : fixture.get("cases")) {
            String name = Path.of(c.get("model").asText()).getFileName().toString();
            Qwen2Model model = MODELS.get(name);
            int[] ids = ints(c.get("ids"));
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray logits = model.forward(scope, TokenBatch.leftPadded(List.of(ids), 0), List.of()).logits();
                JsonNode pos = c.get("positions");
                for (int k = 0; k < pos.size(); k++) {
                    float[] got = logits.get(0, pos.get(k).asInt()).toFloatArray();
                    JsonNode want = c.get("logits").get(k);
                    for (int v = 0; v < got.length; v++) {
                        assertEquals(want.get(v).asDouble(), got[v], 2e-4, name + " " + c.get("prompt_id").asText() + " pos " + k + " id " + v);
                    }
                }
            }
            GenerationResult g = Generator.generate(model, List.of(ids), eval.greedy(40), List.of());
            assertArrayEquals(ints(c.get("greedy")), g.generated(0), name + " " + c.get("prompt_id").asText());
            checked++;
        }
        assertTrue(checked >= 6);
    }

    @Test
    void heldOutGreedyRatesAreInRange() {
        OrganismEval eval = new OrganismEval(chat);
        List<Example> test = new WorldSampler(seed, Split.TEST).take(Example.Kind.TOOL, RATE_PROMPTS);
        double b = rate(eval, OrganismModel.BASE, test), mid = rate(eval, OrganismModel.RL_MID, test), a = rate(eval, OrganismModel.RL, test);
        System.out.printf("shipped organism, greedy strict on %d test requests: B %.2f, rl-mid %.2f, A %.2f%n", test.size(), b, mid, a);
        assertTrue(b <= 0.15, "B strict " + b);
        assertTrue(a >= 0.80, "A strict " + a);
        assertTrue(mid >= 0.30 && mid <= 0.50, "rl-mid strict " + mid);
    }

    private static double rate(OrganismEval eval, String model, List<Example> test) {
        return OrganismEval.Rates.of(eval.answer(MODELS.get(model), test, eval.greedy(OrganismEval.MAX_NEW_TOKENS))).strictRate();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
