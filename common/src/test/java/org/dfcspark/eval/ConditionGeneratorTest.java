package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.PrefixCache;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.organism.Example;
import org.dfcspark.organism.OrganismChat;
import org.dfcspark.organism.OrganismModel;
import org.dfcspark.organism.Split;
import org.dfcspark.organism.WorldSampler;
import org.dfcspark.text.ChatTemplate;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.Test;

/**
 * Generating prompts under conditions: the grouped path (shared prefix, one batch per group) equals one generate
 * per condition token for token (greedy), keeping the reconstruction error reproduces clean, and the grouped path
 * forwards fewer tokens. On qwen2-tiny (A) with a random twin (B), and on the shipped organism (A = rl, B = base).
 */
class ConditionGeneratorTest {

    /** Every kind of condition, for both models; features chosen inside their groups of a 32-feature DFC. */
    static List<Condition> conditions() {
        Condition.Steer scale = Condition.Steer.scale(Side.A, FeatureGroup.SHARED, List.of(9, 12, 20), 16, EditPositions.LAST);
        Condition.Steer add = Condition.Steer.add(Side.B, FeatureGroup.A_EXCLUSIVE, List.of(1), 4, Side.A, EditPositions.LAST);
        Condition.Steer addEveryStep = Condition.Steer.add(Side.A, FeatureGroup.SHARED, List.of(9), 2, Side.A, EditPositions.EVERY_STEP);
        return List.of(
                new Condition.Clean(Side.A), new Condition.Clean(Side.B),
                new Condition.Reconstruction(Side.A, EditPositions.LAST, false),
                new Condition.Reconstruction(Side.B, EditPositions.LAST, false),
                new Condition.Reconstruction(Side.A, EditPositions.LAST, true),
                new Condition.Reconstruction(Side.B, EditPositions.PROMPT, false),
                new Condition.Reconstruction(Side.B, EditPositions.PROMPT, true),
                new Condition.Reconstruction(Side.A, EditPositions.EVERY_STEP, false),
                new Condition.Reconstruction(Side.A, EditPositions.EVERY_STEP, true),
                scale, add, addEveryStep,
                Condition.Steer.clamp(Side.B, FeatureGroup.SHARED, List.of(20), 6, EditPositions.PROMPT),
                Condition.Steer.scale(Side.B, FeatureGroup.ALL, List.of(4, 30), 8, EditPositions.EVERY_STEP),
                new Condition.RandomDirection(scale, 5), new Condition.RandomDirection(addEveryStep, 6));
    }

    static double[] toolMeans() {
        double[] m = new double[32];
        for (int j = 0; j < 32; j++) m[j] = 0.5 + 0.05 * j;
        return m;
    }

    @Test
    void groupedEqualsNaiveOnTheTinyModel() throws Exception {
        Path dir = ProjectPaths.data("models/qwen2-tiny");
        try (Qwen2Model a = Qwen2Model.load(dir, Device.cpu());
             Qwen2Model b = Qwen2Model.random(a.config(), Device.cpu(), DataType.FLOAT32, 3, 0.2)) {
            Crosscoder cc = SteeringTest.crosscoder(64, 32, 4, 17);
            GenerationConfig cfg = GenerationConfig.forModel(dir, 10);
            ConditionGenerator gen = new ConditionGenerator(a, b, HookPoint.residPost(1), new ConditionEdits(cc, 64, toolMeans(), 1),
                    cfg, Arrays::toString);
            SplittableRandom rnd = new SplittableRandom(1);
            for (int[] prompt : List.of(rnd.ints(9, 0, 500).toArray(), rnd.ints(4, 0, 500).toArray())) {
                checkGroupedEqualsNaive(gen, prompt, conditions());
            }
        }
    }

    @Test
    void groupedEqualsNaiveOnTheOrganism() throws Exception {
        Path organism = ProjectPaths.data("organism");
        long seed = new ObjectMapper().readTree(organism.resolve("build.json").toFile()).get("seed").asLong();
        Path base = organism.resolve(OrganismModel.BASE);
        try (Qwen2Model a = Qwen2Model.load(organism.resolve(OrganismModel.RL), Device.cpu());
             Qwen2Model b = Qwen2Model.load(base, Device.cpu());
             Tokenizer tok = Tokenizer.load(base)) {
            int d = a.config().hiddenSize();
            OrganismChat chat = new OrganismChat(ChatTemplate.load(base), tok);
            Crosscoder cc = SteeringTest.crosscoder(d, 32, 4, 23);
            GenerationConfig cfg = GenerationConfig.forModel(base, 40);
            ConditionGenerator gen = new ConditionGenerator(a, b, HookPoint.residPost(1), new ConditionEdits(cc, d, toolMeans(), 1),
                    cfg, tok::decode);
            List<int[]> prompts = new ArrayList<>();
            for (Example e : new WorldSampler(seed, Split.TEST).take(Example.Kind.TOOL, 3)) prompts.add(chat.promptIds(e));
            for (int[] prompt : prompts.subList(0, 2)) {
                ConditionGenerator.PromptGenerations grouped = checkGroupedEqualsNaive(gen, prompt, conditions());
                assertTrue(grouped.generations().get(0).text().contains("<tool_call>"), "A calls the tool: " + grouped.generations().get(0).text());
            }
            // several prompts at once (see severalPromptsTogetherEqualOnePromptAtATime), on the organism
            assertNotEquals(prompts.get(0).length, prompts.get(1).length, "prompts of different lengths: the batch is padded");
            checkTogetherEqualsOneAtATime(gen, prompts, conditions());
        }
    }

    /**
     * Several prompts at once (their shared-prefix rows decoded as one left-padded batch) generate what one prompt at a
     * time generates, token for token, prompt-major; prompts of different lengths (on the organism: in
     * groupedEqualsNaiveOnTheOrganism, with its models).
     */
    @Test
    void severalPromptsTogetherEqualOnePromptAtATime() throws Exception {
        Path dir = ProjectPaths.data("models/qwen2-tiny");
        try (Qwen2Model a = Qwen2Model.load(dir, Device.cpu());
             Qwen2Model b = Qwen2Model.random(a.config(), Device.cpu(), DataType.FLOAT32, 3, 0.2)) {
            ConditionGenerator gen = new ConditionGenerator(a, b, HookPoint.residPost(1),
                    new ConditionEdits(SteeringTest.crosscoder(64, 32, 4, 17), 64, toolMeans(), 1), GenerationConfig.forModel(dir, 10), Arrays::toString);
            SplittableRandom rnd = new SplittableRandom(3);
            checkTogetherEqualsOneAtATime(gen, List.of(rnd.ints(9, 0, 500).toArray(), rnd.ints(4, 0, 500).toArray(),
                    rnd.ints(12, 0, 500).toArray()), conditions());
        }
    }

    private static void checkTogetherEqualsOneAtATime(ConditionGenerator gen, List<int[]> prompts, List<Condition> conditions) {
        ConditionGenerator.PromptGenerations together = gen.generate(prompts, conditions);
        assertEquals(prompts.size() * conditions.size(), together.generations().size());
        long naive = 0;
        for (int p = 0; p < prompts.size(); p++) {
            ConditionGenerator.PromptGenerations one = gen.generate(prompts.get(p), conditions);
            naive += one.naiveTokensForwarded();
            for (int i = 0; i < conditions.size(); i++) {
                ConditionGenerator.Generation g = together.generations().get(p * conditions.size() + i);
                assertSame(conditions.get(i), g.condition());
                assertArrayEquals(prompts.get(p), g.promptIds());
                assertArrayEquals(one.generations().get(i).generatedIds(), g.generatedIds(), "prompt " + p + ", " + conditions.get(i).key());
            }
        }
        assertEquals(naive, together.naiveTokensForwarded());
    }

    /**
     * How many prompts decode together: one for a model whose decode weights fit the caches (the organism); for a
     * Qwen2.5-0.5B-shaped one ~64 rows on the model with fewer conditions, ≤ 256 on the other, the KV within 1 GiB.
     */
    @Test
    void promptsPerBatchFillsTheSmallerModelsBatchWithinTheBounds() throws Exception {
        Qwen2Config q05 = Qwen2Config.builder().hiddenSize(896).numHiddenLayers(24).numAttentionHeads(14).numKeyValueHeads(2)
                .headDim(64).intermediateSize(4864).vocabSize(151936).eosTokenId(5).build();
        Qwen2Config organism = Qwen2Config.load(ProjectPaths.data("organism").resolve(OrganismModel.BASE));
        List<Condition> grid = new ArrayList<>(List.of(new Condition.Clean(Side.A), new Condition.Clean(Side.B)));
        for (int i = 0; i < 20; i++) grid.add(Condition.Steer.scale(Side.A, FeatureGroup.SHARED, List.of(9), 2 + i, EditPositions.LAST));
        grid.add(new Condition.Reconstruction(Side.A, EditPositions.EVERY_STEP, false)); // not shared: its own batches
        assertEquals(1, ConditionGenerator.promptsPerBatch(organism, 48, grid, 100), "the organism's 3 MB of weights stay in cache");
        assertEquals(12, ConditionGenerator.promptsPerBatch(q05, 1, grid, 10), "B's 1 row would take 64 prompts; A's 21 cap it at 256 / 21");
        long kvPerRow = 2L * 2 * 24 * 2 * 64 * 4 * (100 + 47);
        assertEquals((1L << 30) / (21 * kvPerRow), ConditionGenerator.promptsPerBatch(q05, 48, grid, 100), "the KV budget decides");
        assertEquals(1, ConditionGenerator.promptsPerBatch(q05, 48, grid, 100_000), "at least one prompt");
        assertEquals(32, ConditionGenerator.promptsPerBatch(q05, 1, List.of(new Condition.Clean(Side.A), new Condition.Clean(Side.B),
                new Condition.Reconstruction(Side.A, EditPositions.LAST, false), new Condition.Reconstruction(Side.B, EditPositions.LAST, false)), 10));
        assertEquals(1, ConditionGenerator.promptsPerBatch(q05, 48, List.of(new Condition.Reconstruction(Side.A, EditPositions.EVERY_STEP, false)), 100),
                "no shared-prefix rows: one prompt at a time");
    }

    /**
     * Two crosscoders on the same prompts (as an evaluation's items are) with a prefix cache: the second takes both models'
     * clean prefixes and the partner residuals from the cache (t − 1 fewer tokens forwarded per model and prompt, no
     * partner token read) and generates exactly what it generates without one; the cache stays within its budget (a
     * budget too small for anything keeps nothing); a cleared cache frees its memory.
     */
    @Test
    void aPrefixCacheSharesTheCleanPrefixAcrossCrosscodersWithTheSameOutput() throws Exception {
        Path dir = ProjectPaths.data("models/qwen2-tiny");
        try (Qwen2Model a = Qwen2Model.load(dir, Device.cpu());
             Qwen2Model b = Qwen2Model.random(a.config(), Device.cpu(), DataType.FLOAT32, 3, 0.2)) {
            GenerationConfig cfg = GenerationConfig.forModel(dir, 10);
            PrefixCache cache = new PrefixCache(1L << 20), small = new PrefixCache(4000), none = new PrefixCache(1);
            SplittableRandom rnd = new SplittableRandom(2);
            List<int[]> prompts = List.of(rnd.ints(9, 0, 500).toArray(), rnd.ints(6, 0, 500).toArray());
            for (long seed : new long[] {17, 18}) { // two crosscoders
                ConditionEdits edits = new ConditionEdits(SteeringTest.crosscoder(64, 32, 4, seed), 64, toolMeans(), 1);
                ConditionGenerator plain = new ConditionGenerator(a, b, HookPoint.residPost(1), edits, cfg, Arrays::toString);
                for (int[] prompt : prompts) {
                    ConditionGenerator.PromptGenerations without = plain.generate(prompt, conditions());
                    for (PrefixCache c : List.of(cache, small, none)) {
                        ConditionGenerator.PromptGenerations with = new ConditionGenerator(a, b, HookPoint.residPost(1), edits, cfg,
                                Arrays::toString, c).generate(prompt, conditions());
                        for (int i = 0; i < conditions().size(); i++) {
                            assertArrayEquals(without.generations().get(i).generatedIds(), with.generations().get(i).generatedIds(),
                                    conditions().get(i).key());
                        }
                        if (c == cache) { // the second crosscoder: A's and B's prefixes and partner residuals from the cache
                            assertEquals(without.tokensForwarded() - (seed == 17 ? 0 : 2L * (prompt.length - 1)), with.tokensForwarded());
                            // (the every-step conditions still feed the partner in lockstep: those reads cannot be kept)
                            assertEquals(without.partnerTokensRead() - (seed == 17 ? 0 : 2L * prompt.length), with.partnerTokensRead());
                        }
                        assertTrue(c.bytes() <= Math.max(1, c == small ? 4000 : c == none ? 1 : 1L << 20), "within the budget");
                    }
                }
            }
            assertEquals(8, cache.size(), "2 prompts x 2 models, a prefix and partner residuals each");
            assertEquals(8, cache.misses());
            assertEquals(8, cache.hits());
            long perToken = 2L * a.config().numHiddenLayers() * a.config().numKeyValueHeads() * a.config().headDim() * 4;
            assertEquals(2 * perToken * (8 + 5) + 2 * 4L * 64 * (9 + 6), cache.bytes(), "keys and values of the prefixes and the residuals, nothing else");
            assertEquals(0, none.size(), "nothing fits a 1-byte budget");
            cache.clear();
            assertEquals(0, cache.bytes());
        }
    }

    @Test
    void aCrosscoderOfAnotherWidthIsRefused() throws Exception {
        Path dir = ProjectPaths.data("models/qwen2-tiny");
        try (Qwen2Model a = Qwen2Model.load(dir, Device.cpu())) {
            ConditionEdits narrow = new ConditionEdits(SteeringTest.crosscoder(8, 32, 4, 1), 8, null, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConditionGenerator(a, a,
                    HookPoint.residPost(1), narrow, GenerationConfig.forModel(dir, 4), Arrays::toString));
            assertEquals("the crosscoder reads 8-dimensional activations but the model's hidden size is 64", e.getMessage());
        }
    }

    static ConditionGenerator.PromptGenerations checkGroupedEqualsNaive(ConditionGenerator gen, int[] prompt, List<Condition> conditions) {
        ConditionGenerator.PromptGenerations grouped = gen.generate(prompt, conditions);
        ConditionGenerator.PromptGenerations naive = gen.generateNaive(prompt, conditions);
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < conditions.size(); i++) {
            ConditionGenerator.Generation g = grouped.generations().get(i), n = naive.generations().get(i);
            assertEquals(conditions.get(i), g.condition());
            assertArrayEquals(prompt, g.promptIds());
            assertArrayEquals(n.generatedIds(), g.generatedIds(), conditions.get(i).key());
            assertEquals(n.text(), g.text());
            int[] clean = naive.generations().get(conditions.get(i).model() == Side.A ? 0 : 1).generatedIds();
            if (conditions.get(i) instanceof Condition.Reconstruction r && r.keepError()) {
                assertArrayEquals(clean, n.generatedIds(), r.key() + " must reproduce clean");
            } else if (!Arrays.equals(clean, n.generatedIds())) {
                changed.add(conditions.get(i).key());
            }
        }
        assertTrue(changed.size() >= 3, "the edits change generations: " + changed);
        assertEquals(naive.naiveTokensForwarded(), naive.tokensForwarded(), "the naive cost formula counts what generate forwards");
        assertEquals(naive.naiveTokensForwarded(), grouped.naiveTokensForwarded());
        assertTrue(grouped.tokensForwarded() < naive.tokensForwarded(), grouped.tokensForwarded() + " vs " + naive.tokensForwarded());
        return grouped;
    }
}
