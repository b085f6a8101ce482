package org.dfcspark.jobs.harvest;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.Rendering;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.harvest.ChannelMoments;
import org.dfcspark.harvest.ModelPair;
import org.dfcspark.harvest.PositionMode;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.harvest.SequencePreparer;
import org.dfcspark.harvest.TruncationSide;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.model.ForwardResult;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.dfcspark.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.dfcspark.jobs.WithFaults;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harvest job end to end on Spark local[2,2] (two task threads, a failed task is retried once) with two small
 * Qwen2 models on shipped ToolRL prompts.
 */
class HarvestJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Integer> LAYERS = List.of(0, 2);
    private static final int D = 64;
    private static final int PROMPTS = 10;

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path modelA;
    static Path modelB;
    static Path prompts;
    static Map<String, PromptRecord> records = new HashMap<>();

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2,2]").appName("HarvestJobTest")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
                .config("spark.executor.heartbeatInterval", "200ms").getOrCreate();
        modelA = HarvestFixture.modelDir(dir, "A", 0, 0);
        modelB = HarvestFixture.modelDir(dir, "B", 0.05, 1);
        prompts = HarvestFixture.promptsTable(spark, dir, PROMPTS);
        for (PromptRecord r : PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test"))
                .records().subList(0, PROMPTS)) {
            records.put(r.id(), r);
        }
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /** Options exactly as the CLI builds them from flags. */
    static HarvestOptions options(String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of("--model-a", modelA.toString(), "--model-b", modelB.toString(),
                "--prompts", prompts.toString(), "--layers", "0,2", "--out", out, "--shard-size", "3", "--batch-size", "2",
                "--max-length", "160"));
        argv.addAll(List.of(extra));
        return HarvestOptions.from(Args.parse(argv.toArray(String[]::new), HarvestOptions.valuedFlags(), HarvestOptions.switchFlags()));
    }

    static HarvestJob.Result harvest(HarvestOptions o, List<String> log) throws Exception {
        return HarvestJob.run(spark, o, log::add);
    }

    static JsonNode manifest(Path store) throws IOException {
        return JSON.readTree(store.resolve("manifest.json").toFile());
    }

    public static void assertValid(Path store) throws IOException {
        ActivationStoreValidator.Report r = ActivationStoreValidator.validate(store.toString(), new Configuration(), true);
        assertTrue(r.ok(), "store problems: " + r.problems());
        assertTrue(r.rowsRead() > 0);
    }

    /** The sequences the job must have harvested, prepared independently of Spark. */
    static Map<String, PreparedSequence> prepared(PositionMode mode, TruncationSide side) {
        Map<String, PreparedSequence> out = new TreeMap<>();
        try (SequencePreparer p = SequencePreparer.forModel(modelA, Rendering.Mode.CHAT, mode, 160, side, false)) {
            for (PromptRecord r : records.values()) out.put(r.id(), p.prepare(0, r));
        }
        return out;
    }

    @Test
    void lastModeRowsEqualADirectForwardAndTheStoreIsValid() throws Exception {
        Path out = dir.resolve("last");
        List<String> log = new ArrayList<>();
        HarvestJob.Result res = harvest(options(out.toString(), "--progress-seconds", "0.2"), log);
        assertFalse(res.alreadyComplete());
        assertEquals(4, res.shards()); // 10 prompts, 3 per shard
        assertValid(out);

        Map<String, ActivationRow> rows = HarvestFixture.rows(out, "activations", LAYERS, ActivationCodec.F16, D);
        assertEquals(PROMPTS * LAYERS.size(), rows.size(), "one row per prompt and layer");
        Map<String, PreparedSequence> seqs = prepared(PositionMode.LAST, TruncationSide.RIGHT);
        Qwen2Model a = ModelCache.get(modelA, Device.cpu());
        Qwen2Model b = ModelCache.get(modelB, Device.cpu());
        double worst = 0;
        for (ActivationRow r : rows.values()) {
            PreparedSequence s = seqs.get(r.promptId());
            assertEquals(s.positions()[0], r.position());
            assertEquals(s.ids()[r.position()], r.tokenId());
            assertEquals("toolrl", r.source());
            assertEquals(Boolean.FALSE, r.inToolCall());
            worst = Math.max(worst, relativeError(direct(a, s.ids(), r.layer(), r.position()), r.a()));
            worst = Math.max(worst, relativeError(direct(b, s.ids(), r.layer(), r.position()), r.b()));
        }
        assertTrue(worst < 2e-3, "stored f16 vectors vs a direct forward of each prompt alone: worst relative error " + worst);

        JsonNode m = manifest(out);
        assertEquals("last", m.get("positions").asText());
        assertEquals("[0,2]", m.get("layers").toString());
        assertEquals(D, m.get("d_model").asInt());
        assertEquals("f16", m.get("dtype").asText());
        assertEquals(ModelPair.configSha256(modelA), m.at("/models/a/config_sha256").asText());
        assertEquals(ModelPair.configSha256(modelB), m.at("/models/b/config_sha256").asText());
        assertEquals(PROMPTS, m.at("/prompts/count").asInt());
        assertEquals(seqs.values().stream().filter(PreparedSequence::truncated).count(), m.at("/prompts/truncated").asLong());
        assertEquals(seqs.values().stream().mapToLong(PreparedSequence::length).sum(), m.get("tokens").asLong());
        assertEquals(PROMPTS, m.at("/rows/2").asLong());
        assertTrue(m.get("code_version").asText().length() > 3);

        // statistics.json = moments of the decoded rows
        JsonNode stats = JSON.readTree(out.resolve("statistics.json").toFile());
        for (JsonNode e : stats.get("entries")) {
            ChannelMoments want = new ChannelMoments(D);
            boolean isA = e.get("model").asText().equals("a");
            rows.values().stream().filter(r -> r.layer() == e.get("layer").asInt()).forEach(r -> want.add(isA ? r.a() : r.b()));
            assertEquals(want.count(), e.get("count").asLong());
            assertEquals(want.meanNorm(), e.get("mean_norm").asDouble(), 1e-9);
            for (int j = 0; j < D; j++) {
                assertEquals(want.mean()[j], e.get("mean").get(j).asDouble(), 1e-9);
                assertEquals(want.variance()[j], e.get("var").get(j).asDouble(), 1e-9);
            }
        }
        // Progress lines: prompts done/total, tokens/s, ETA.
        assertTrue(log.stream().anyMatch(l -> l.matches("harvest: 10/10 prompts \\(100\\.0%\\), \\d+ tok/s, ETA \\S+")), String.join("\n", log));
    }

    /**
     * The progress line counts the prompts inside a shard that is still running (its task's accumulators reach the
     * driver with each executor heartbeat), not only committed shards: one shard of 5 slow batches shows partial
     * counts before it commits, and the final line shows all prompts.
     */
    @Test
    void progressCountsPromptsOfAShardStillRunning() throws Exception {
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        WithFaults.run("harvest.batch-delay-ms=500",
                () -> harvest(options(dir.resolve("progress").toString(), "--shard-size", "10", "--progress-seconds", "0.1"), log));
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("harvest: (\\d+)/10 prompts");
        List<Integer> done = new ArrayList<>();
        synchronized (log) {
            for (String l : log) {
                java.util.regex.Matcher m = line.matcher(l);
                if (m.find()) done.add(Integer.parseInt(m.group(1)));
            }
        }
        assertTrue(done.stream().anyMatch(n -> n > 0 && n < 10), "partial progress inside the one shard: " + done);
        assertEquals(10, done.get(done.size() - 1), "the last line: " + done);
        for (int i = 1; i < done.size(); i++) assertTrue(done.get(i) >= done.get(i - 1), "never backwards: " + done);
    }

    @Test
    void allAndAssistantModesHarvestTheRightTokens() throws Exception {
        Path all = dir.resolve("all");
        harvest(options(all.toString(), "--positions", "all", "--dtype", "f32"), new ArrayList<>());
        assertValid(all);
        Map<String, PreparedSequence> allSeqs = prepared(PositionMode.ALL, TruncationSide.RIGHT);
        Tokenizer tok = Tokenizer.load(modelA);
        java.util.Set<Integer> special = java.util.Set.of(tok.tokenId("<|im_start|>"), tok.tokenId("<|im_end|>"), tok.tokenId("<|endoftext|>"));
        long expectAll = allSeqs.values().stream().mapToLong(s -> Arrays.stream(s.ids()).filter(id -> !special.contains(id)).count()).sum();
        assertEquals(expectAll, manifest(all).at("/rows/0").asLong());
        Map<String, ActivationRow> allRows = HarvestFixture.rows(all, "activations", LAYERS, ActivationCodec.F32, D);
        assertEquals(2 * expectAll, allRows.size());
        assertTrue(allRows.values().stream().noneMatch(r -> special.contains(r.tokenId())));

        Path asst = dir.resolve("assistant");
        harvest(options(asst.toString(), "--positions", "assistant", "--truncation", "left"), new ArrayList<>());
        assertValid(asst);
        Map<String, ActivationRow> rows = HarvestFixture.rows(asst, "activations", LAYERS, ActivationCodec.F16, D);
        long toolCallPrompts = records.values().stream().filter(r -> PromptRecord.TOOL_CALL.equals(r.goldKind())).count();
        assertTrue(toolCallPrompts > 0 && toolCallPrompts < PROMPTS, "the fixture mixes tool-call and response golds");
        assertEquals(PROMPTS - toolCallPrompts, manifest(asst).at("/prompts/empty").asLong());
        int open = tok.tokenId("<tool_call>");
        int close = tok.tokenId("</tool_call>");
        long expected = 0;
        for (PromptRecord r : records.values()) {
            String answer = org.dfcspark.data.TeacherForcing.answer(Rendering.Mode.CHAT, org.dfcspark.text.ChatTemplate.load(modelA), r);
            if (answer == null) {
                assertTrue(rows.values().stream().noneMatch(x -> x.promptId().equals(r.id())));
                continue;
            }
            int[] ids = tok.encode(answer);
            expected += Arrays.stream(ids).filter(id -> !special.contains(id)).count();
            // Rows are the answer's non-special tokens in order; those from <tool_call> through </tool_call> are
            // flagged (Qwen's template puts a newline between two calls, which is not).
            List<ActivationRow> mine = rows.values().stream().filter(x -> x.promptId().equals(r.id()) && x.layer() == 0)
                    .sorted((x, y) -> Integer.compare(x.position(), y.position())).toList();
            int[] kept = Arrays.stream(ids).filter(id -> !special.contains(id)).toArray();
            assertArrayEquals(kept, mine.stream().mapToInt(ActivationRow::tokenId).toArray());
            boolean inside = false;
            for (ActivationRow x : mine) {
                if (x.tokenId() == open) inside = true;
                assertEquals(inside, x.inToolCall(), "prompt " + r.id() + " position " + x.position());
                if (x.tokenId() == close) inside = false;
            }
            assertEquals(open, mine.get(0).tokenId());
            assertEquals(close, mine.get(mine.size() - 1).tokenId());
        }
        assertEquals(expected, manifest(asst).at("/rows/2").asLong());
        tok.close();
    }

    @Test
    void rerunIsANoOpAndShuffleAddsASeededGlobalShuffle() throws Exception {
        Path out = dir.resolve("rerun");
        harvest(options(out.toString(), "--positions", "all"), new ArrayList<>());
        Map<String, Long> before = listing(out);
        List<String> log = new ArrayList<>();
        HarvestJob.Result again = harvest(options(out.toString(), "--positions", "all"), log);
        assertTrue(again.alreadyComplete());
        assertEquals(before, listing(out), "nothing was rewritten");
        assertTrue(log.get(log.size() - 1).contains("already complete"));

        harvest(options(out.toString(), "--positions", "all", "--shuffle", "--shuffle-seed", "7"), new ArrayList<>());
        assertValid(out);
        assertEquals(7, manifest(out).at("/shuffled/seed").asInt());
        for (int layer : LAYERS) {
            List<Long> original = HarvestFixture.sampleIdsInOrder(out.resolve("activations/layer=" + layer), ActivationCodec.F16, layer, D);
            List<Long> shuffled = HarvestFixture.sampleIdsInOrder(out.resolve("shuffled/layer=" + layer), ActivationCodec.F16, layer, D);
            assertEquals(original.stream().sorted().toList(), shuffled.stream().sorted().toList());
            // Globally mixed: neighbours rarely come from the same prompt (in prompt order they nearly always do).
            assertTrue(sameNeighbourFraction(original) > 0.9);
            assertTrue(sameNeighbourFraction(shuffled) < 0.35, "fraction " + sameNeighbourFraction(shuffled));
        }
        Map<String, ActivationRow> a = HarvestFixture.rows(out, "activations", LAYERS, ActivationCodec.F16, D);
        Map<String, ActivationRow> s = HarvestFixture.rows(out, "shuffled", LAYERS, ActivationCodec.F16, D);
        assertSameRows(a, s);
    }

    @Test
    void aTaskThatFailsAfterPublishingPartOfItsShardIsRetriedWithoutDuplicates() throws Exception {
        Path clean = dir.resolve("clean");
        Path failed = dir.resolve("failed");
        harvest(options(clean.toString(), "--positions", "all"), new ArrayList<>());
        WithFaults.run("harvest.fail-shard=1", () -> harvest(options(failed.toString(), "--positions", "all"), new ArrayList<>()));
        assertValid(failed);
        ShardSummary s1 = ShardSummary.fromJson(Files.readString(failed.resolve("_harvest/done/shard-00001.json")), "marker");
        assertEquals(1, s1.attempt(), "shard 1 completed on its second attempt");
        assertSameRows(HarvestFixture.rows(clean, "activations", LAYERS, ActivationCodec.F16, D),
                HarvestFixture.rows(failed, "activations", LAYERS, ActivationCodec.F16, D));
        assertEquals(manifest(clean).get("rows"), manifest(failed).get("rows"));
    }

    @Test
    void nanActivationsAreCountedInTheManifestAndNeverWritten() throws Exception {
        Path poisoned = HarvestFixture.modelDir(dir, "B-nan", 0.05, 1);
        // NaN in layer 1's MLP: layer 0 stays finite, everything after layer 1 is NaN.
        HarvestFixture.poison(poisoned, "model.layers.1.mlp.down_proj.weight");
        Path out = dir.resolve("nan");
        List<String> argv = new ArrayList<>(List.of("--model-a", modelA.toString(), "--model-b", poisoned.toString(),
                "--prompts", prompts.toString(), "--layers", "0,2", "--out", out.toString(), "--max-length", "160"));
        List<String> log = new ArrayList<>();
        HarvestJob.run(spark, HarvestOptions.from(Args.parse(argv.toArray(String[]::new), HarvestOptions.valuedFlags(),
                HarvestOptions.switchFlags())), log::add);
        assertValid(out);
        JsonNode m = manifest(out);
        assertEquals(PROMPTS, m.at("/rows/0").asLong());
        assertEquals(0, m.at("/rows/2").asLong());
        assertEquals(PROMPTS, m.at("/layer_counts/2/nonfinite").asLong());
        assertTrue(m.get("nonfinite_examples").get(0).asText().endsWith("layer 2 model B: NaN/Inf"), m.get("nonfinite_examples").toString());
        assertTrue(log.get(log.size() - 1).contains("layer 2: 0 rows, 10 NaN/Inf not written"), log.get(log.size() - 1));
    }

    @Test
    void resumingWithOtherSettingsIsRefused() throws Exception {
        Path out = dir.resolve("settings");
        harvest(options(out.toString()), new ArrayList<>());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> harvest(options(out.toString(), "--dtype", "bf16"), new ArrayList<>()));
        assertTrue(e.getMessage().contains("holds a harvest made with other settings (dtype \"f16\" -> \"bf16\""), e.getMessage());
        Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(dir.resolve("occupied/notes.txt"), "mine");
        e = assertThrows(IllegalArgumentException.class, () -> harvest(options(dir.resolve("occupied").toString()), new ArrayList<>()));
        assertTrue(e.getMessage().endsWith("is not empty and holds no harvest; use a new --out"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static float[] direct(Qwen2Model m, int[] ids, int layer, int position) {
        try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            HookPoint hp = HookPoint.residPost(layer);
            ForwardResult r = m.forward(scope, TokenBatch.leftPadded(List.of(ids), 0), List.of(Intervention.capture(hp, Positions.all())));
            float[] flat = r.captured(hp).toFloatArray();
            return Arrays.copyOfRange(flat, position * D, (position + 1) * D);
        }
    }

    static double relativeError(float[] want, float[] got) {
        double num = 0;
        double den = 0;
        for (int j = 0; j < want.length; j++) {
            num += (want[j] - got[j]) * (double) (want[j] - got[j]);
            den += (double) want[j] * want[j];
        }
        return Math.sqrt(num / den);
    }

    public static void assertSameRows(Map<String, ActivationRow> x, Map<String, ActivationRow> y) {
        assertEquals(new java.util.TreeSet<>(x.keySet()), new java.util.TreeSet<>(y.keySet()), "same (layer, sample id) keys");
        for (Map.Entry<String, ActivationRow> e : x.entrySet()) {
            ActivationRow p = e.getValue();
            ActivationRow q = y.get(e.getKey());
            assertEquals(p.promptId(), q.promptId());
            assertEquals(p.position(), q.position());
            assertEquals(p.tokenId(), q.tokenId());
            assertEquals(p.inToolCall(), q.inToolCall());
            assertEquals(p.sink(), q.sink());
            assertArrayEquals(p.a(), q.a(), e.getKey());
            assertArrayEquals(p.b(), q.b(), e.getKey());
        }
    }

    static double sameNeighbourFraction(List<Long> ids) {
        int same = 0;
        for (int i = 1; i < ids.size(); i++) if ((ids.get(i) >> 20) == (ids.get(i - 1) >> 20)) same++;
        return (double) same / (ids.size() - 1);
    }

    static Map<String, Long> listing(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).collect(Collectors.toMap(p -> root.relativize(p).toString(), p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, (u, v) -> u, TreeMap::new));
        }
    }
}
