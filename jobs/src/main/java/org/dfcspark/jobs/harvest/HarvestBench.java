package org.dfcspark.jobs.harvest;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.data.TextConverter;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.harvest.PositionMode;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.harvest.SequencePreparer;
import org.dfcspark.harvest.TruncationSide;
import org.dfcspark.jobs.PythonReference;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

/**
 * {@code bin/dfc bench harvest}: end-to-end harvest throughput (plan, both models, Parquet, statistics, manifest)
 * against the pure forward throughput of the same two models on the same batches in the same JVM, and optionally
 * against the plain HF-transformers harvester ({@code tools/reference/harvest_hf.py}) on the same token ids.
 * Models are random (HF initialisation) with the shape of a preset; prompts are shipped ToolRL texts cut to the
 * requested length with the tiny BPE tokenizer, so every sequence has exactly {@code length} tokens.
 */
public final class HarvestBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HarvestBench() {}

    /** Settings of one benchmark run. */
    public record Settings(String preset, List<Integer> layers, int prompts, int length, int batchSize, int threads,
                           PositionMode positions, String dtype, String python, Path work) {}

    static Qwen2Config preset(String name) throws IOException {
        return switch (name) {
            case "tiny" -> Qwen2Config.load(ProjectPaths.data("models/qwen2-tiny"));
            case "qwen0.5b" -> Qwen2Config.qwen25HalfBillionShape().build();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (tiny or qwen0.5b)");
        };
    }

    public static ObjectNode run(SparkSession spark, Settings s, Consumer<String> out) throws Exception {
        Qwen2Config cfg = preset(s.preset());
        for (int l : s.layers()) {
            if (l >= cfg.numHiddenLayers()) throw new IllegalArgumentException("layer " + l + " outside the preset's " + cfg.numHiddenLayers() + " layers");
        }
        Files.createDirectories(s.work());
        Path a = model(s.work().resolve("model-a"), cfg, 1, out);
        Path b = model(s.work().resolve("model-b"), cfg, 2, out);
        Path texts = texts(s.work().resolve("texts.jsonl"), s.prompts(), s.length());
        List<PreparedSequence> seqs = sequences(a, texts, s);
        writeIds(s.work().resolve("ids.json"), seqs);
        long tokens = seqs.stream().mapToLong(PreparedSequence::length).sum();
        out.accept(String.format("bench harvest: preset %s (d %d, %d layers), %d prompts x %d tokens, layers %s, positions %s, %s, batch %d, %d thread(s), master %s",
                s.preset(), cfg.hiddenSize(), cfg.numHiddenLayers(), seqs.size(), s.length(), s.layers(), s.positions().id(),
                s.dtype(), s.batchSize(), s.threads(), spark.sparkContext().master()));
        out.accept("  allocator: " + PythonReference.allocatorSettings() + ", OMP_WAIT_POLICY=" + System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));

        Qwen2Model ma = ModelCache.get(a, Device.cpu());
        Qwen2Model mb = ModelCache.get(b, Device.cpu());
        ExecutorRuntime.configure(Device.cpu(), s.threads());
        forward(ma, mb, seqs.subList(0, Math.min(seqs.size(), s.batchSize())), s); // warm-up
        double forwardBefore = timedForward(ma, mb, seqs, s);

        // Warm-up: a harvest of the first batch's prompts, so Spark's one-time JVM costs (class loading, code
        // generation) are not charged to the measured run, as the forward's warm-up batch is not.
        Path warmTexts = texts(s.work().resolve("warmup.jsonl"), Math.min(s.prompts(), s.batchSize()), s.length());
        harvest(spark, s, a, b, warmTexts, s.work().resolve("warmup-store"), line -> {});
        long t1 = System.nanoTime();
        HarvestJob.Result r = harvest(spark, s, a, b, texts, s.work().resolve("store"), out);
        double harvestSeconds = (System.nanoTime() - t1) / 1e9;
        // The pure forward is timed before and after the harvest and the faster run kept: machine drift can then
        // only make the harvest look worse, never better.
        double forwardSeconds = Math.min(forwardBefore, timedForward(ma, mb, seqs, s));
        if (r.counts().tokens != tokens) throw new IllegalStateException("harvest forwarded " + r.counts().tokens + " tokens, expected " + tokens);

        ObjectNode result = JSON.createObjectNode();
        result.put("preset", s.preset());
        result.put("tokens", tokens);
        result.put("rows", r.counts().rows());
        result.put("forward_tokens_per_s", tokens / forwardSeconds);
        result.put("harvest_tokens_per_s", tokens / harvestSeconds);
        result.put("harvest_vs_forward", forwardSeconds / harvestSeconds);
        out.accept(String.format("  pure forward A+B (same batches, no Spark):  %10.1f tok/s", tokens / forwardSeconds));
        out.accept(String.format("  harvest end to end (plan..manifest):        %10.1f tok/s   = %.2f x pure forward (target >= 0.97)",
                tokens / harvestSeconds, forwardSeconds / harvestSeconds));
        if (s.python() != null) {
            for (PythonReference.Allocator allocator : PythonReference.allocators()) {
                double hfRate = python(s, a, b, allocator).get("tokens_per_s").asDouble();
                String key = allocator == PythonReference.Allocator.OURS ? "hf" : "hf_glibc_default";
                result.put(key + "_tokens_per_s", hfRate);
                result.put("harvest_vs_" + key, tokens / harvestSeconds / hfRate);
                out.accept(String.format("  HF transformers harvest to .npy (%s): %.1f tok/s   harvest = %.2f x HF (target >= 1.0)",
                        allocator.description, hfRate, tokens / harvestSeconds / hfRate));
            }
        }
        Files.writeString(s.work().resolve("bench-harvest.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        return result;
    }

    private static HarvestJob.Result harvest(SparkSession spark, Settings s, Path a, Path b, Path texts, Path store,
                                             Consumer<String> log) throws Exception {
        deleteTree(store);
        List<String> argv = List.of("--model-a", a.toString(), "--model-b", b.toString(), "--prompts", texts.toString(),
                "--layers", String.join(",", s.layers().stream().map(String::valueOf).toList()), "--positions", s.positions().id(),
                "--out", store.toString(), "--dtype", s.dtype(), "--max-length", Integer.toString(s.length()),
                "--batch-size", Integer.toString(s.batchSize()), "--threads", Integer.toString(s.threads()));
        HarvestOptions o = HarvestOptions.from(Args.parse(argv.toArray(String[]::new), HarvestOptions.valuedFlags(), HarvestOptions.switchFlags()));
        return HarvestJob.run(spark, o, log);
    }

    /** A random model of the preset's shape with the tiny BPE tokenizer, made once per work directory and seed. */
    private static Path model(Path dir, Qwen2Config cfg, long seed, Consumer<String> out) throws IOException {
        Path stamp = dir.resolve("bench-model.json");
        String want = cfg.toJson() + "\nseed " + seed;
        if (!Files.exists(stamp) || !Files.readString(stamp).equals(want)) {
            out.accept("bench harvest: making random model " + dir + " (seed " + seed + ")");
            try (Qwen2Model m = Qwen2Model.random(cfg, Device.cpu(), seed)) {
                m.save(dir);
            }
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                Files.copy(ProjectPaths.data("tokenizers/tiny-bpe-500/" + f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(stamp, want);
        }
        return dir;
    }

    /** N plain texts, each long enough to fill {@code length} tokens: shipped ToolRL prompts joined. */
    private static Path texts(Path file, int n, int length) throws IOException {
        List<PromptRecord> src = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test")).records();
        StringBuilder lines = new StringBuilder();
        int next = 0;
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            while (text.length() < 4L * length + 64) {
                for (PromptRecord.Message m : src.get(next++ % src.size()).messages()) text.append(m.content()).append('\n');
            }
            ObjectNode o = JSON.createObjectNode();
            o.put("id", "bench-" + i);
            o.put("text", text.toString());
            lines.append(JSON.writeValueAsString(o)).append('\n');
        }
        Files.writeString(file, lines.toString(), StandardCharsets.UTF_8);
        return file;
    }

    /** The sequences the harvest will see: the same reader, rendering and preparation as the job. */
    private static List<PreparedSequence> sequences(Path modelA, Path texts, Settings s) {
        List<PromptRecord> records = PromptFiles.read(texts, new TextConverter("texts", "train")).records();
        List<PreparedSequence> out = new ArrayList<>();
        try (SequencePreparer p = SequencePreparer.forModel(modelA, Rendering.Mode.CHAT, s.positions(), s.length(), TruncationSide.RIGHT, false)) {
            for (int i = 0; i < records.size(); i++) out.add(p.prepare(i, records.get(i)));
        }
        out.sort(Comparator.comparingInt(PreparedSequence::length).thenComparingLong(PreparedSequence::ordinal));
        return out;
    }

    private static double timedForward(Qwen2Model a, Qwen2Model b, List<PreparedSequence> seqs, Settings s) {
        long t = System.nanoTime();
        forward(a, b, seqs, s);
        return (System.nanoTime() - t) / 1e9;
    }

    /** Both models over the batches with the harvest's captures; the activations stay in libtorch and are freed. */
    private static void forward(Qwen2Model a, Qwen2Model b, List<PreparedSequence> seqs, Settings s) {
        List<Intervention> captures = s.layers().stream().map(l -> Intervention.capture(HookPoint.residPost(l), Positions.all())).toList();
        for (int from = 0; from < seqs.size(); from += s.batchSize()) {
            List<int[]> ids = seqs.subList(from, Math.min(seqs.size(), from + s.batchSize())).stream().map(PreparedSequence::ids).toList();
            TokenBatch batch = TokenBatch.leftPadded(ids, 0);
            for (Qwen2Model m : List.of(a, b)) {
                try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
                    m.forward(scope, batch, captures, Qwen2Model.Logits.NONE);
                }
            }
        }
    }

    private static void writeIds(Path file, List<PreparedSequence> seqs) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode ids = root.putArray("ids");
        ArrayNode pos = root.putArray("positions");
        for (PreparedSequence s : seqs) {
            ArrayNode i = ids.addArray();
            for (int id : s.ids()) i.add(id);
            ArrayNode p = pos.addArray();
            for (int x : s.positions()) p.add(x);
        }
        Files.writeString(file, JSON.writeValueAsString(root));
    }

    private static JsonNode python(Settings s, Path a, Path b, PythonReference.Allocator allocator) throws IOException, InterruptedException {
        Path npy = s.work().resolve("hf-npy");
        deleteTree(npy);
        List<String> args = List.of("--model-a", a.toString(), "--model-b", b.toString(), "--ids", s.work().resolve("ids.json").toString(),
                "--layers", String.join(",", s.layers().stream().map(String::valueOf).toList()), "--batch-size", Integer.toString(s.batchSize()),
                "--threads", Integer.toString(s.threads()), "--out", npy.toString());
        List<JsonNode> out = PythonReference.run(s.python(), "harvest_hf.py", args, allocator, 120);
        return out.get(out.size() - 1);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> w = Files.walk(p)) {
            for (Path x : w.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
