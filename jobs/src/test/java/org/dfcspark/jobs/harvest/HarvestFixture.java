package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.data.PromptFiles;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.SafeTensors;
import org.dfcspark.data.SafeTensorsWriter;
import org.dfcspark.data.ToolRlConverter;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * Two small Qwen2 models and a prompts table for the harvest tests: A = the shipped qwen2-tiny checkpoint with the
 * tiny BPE tokenizer, B = the same with every weight perturbed by seeded noise; prompts = shipped ToolRL test rows.
 */
public final class HarvestFixture {
    private HarvestFixture() {}

    public static Path modelDir(Path dir, String name, double noise, long seed) throws IOException {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        for (String f : List.of("config.json", "generation_config.json")) Files.copy(ProjectPaths.data("models/qwen2-tiny/" + f), m.resolve(f));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(ProjectPaths.data("tokenizers/tiny-bpe-500/" + f), m.resolve(f));
        Path weights = ProjectPaths.data("models/qwen2-tiny/model.safetensors");
        if (noise == 0) {
            Files.copy(weights, m.resolve("model.safetensors"));
            return m;
        }
        Random r = new Random(seed);
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (SafeTensors st = SafeTensors.open(weights)) {
            for (String tensor : st.names()) {
                float[] v = st.floats(tensor);
                for (int i = 0; i < v.length; i++) v[i] += (float) (noise * r.nextGaussian());
                w.addF32(tensor, v, st.info(tensor).shape());
            }
        }
        w.write(m.resolve("model.safetensors"));
        return m;
    }

    /** Sets the first value of one tensor of a model directory's checkpoint to NaN. */
    public static void poison(Path model, String tensor) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) {
            for (String name : st.names()) {
                float[] v = st.floats(name);
                if (name.equals(tensor)) v[0] = Float.NaN;
                w.addF32(name, v, st.info(name).shape());
            }
        }
        w.write(model.resolve("model.safetensors"));
    }

    /** The first {@code n} shipped ToolRL test prompts (tool-call and response golds) as a Parquet prompts table. */
    public static Path promptsTable(SparkSession spark, Path dir, int n) {
        List<PromptRecord> records = PromptFiles.read(ProjectPaths.data("toolrl/test.jsonl"), new ToolRlConverter("test", "test"))
                .records().subList(0, n);
        List<Row> rows = new ArrayList<>();
        for (PromptRecord r : records) rows.add(PromptsTable.toRow(r));
        Path out = dir.resolve("prompts");
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(out.toString());
        return out;
    }

    /** A local[2] session bound to 127.0.0.1 with the UI off, as the job tests use. */
    public static SparkSession localSpark(String app) {
        return SparkSession.builder().master("local[2]").appName(app).config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    /**
     * A store harvested from the two tiny models on 8 prompts: layers 0 and 2, every position, one shard (one row group)
     * per prompt, f16, d = 64. The training tests' data.
     */
    public static Path tinyStore(SparkSession spark, Path dir) throws Exception {
        Path a = modelDir(dir, "A", 0, 0), b = modelDir(dir, "B", 0.05, 1);
        Path prompts = promptsTable(spark, dir, 8);
        Path store = dir.resolve("store");
        String[] flags = {"--model-a", a.toString(), "--model-b", b.toString(), "--prompts", prompts.toString(), "--layers", "0,2",
                "--positions", "all", "--out", store.toString(), "--shard-size", "1", "--batch-size", "4", "--max-length", "96"};
        HarvestJob.run(spark, HarvestOptions.from(org.dfcspark.jobs.options.Args.parse(flags, HarvestOptions.valuedFlags(), HarvestOptions.switchFlags())), line -> {});
        return store;
    }

    /** Every row of a store's activations (or shuffled copy), keyed "layer/sample_id". */
    public static Map<String, ActivationRow> rows(Path store, String subdir, List<Integer> layers, ActivationCodec codec, int d)
            throws IOException {
        Configuration conf = HadoopFiles.storeConf(new Configuration());
        Map<String, ActivationRow> out = new HashMap<>();
        for (int layer : layers) {
            Path dir = store.resolve(subdir).resolve("layer=" + layer);
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
                    for (ActivationRow r : ActivationFileReader.read(new org.apache.hadoop.fs.Path(f.toUri()), layer, codec, d, conf)) {
                        if (out.put(layer + "/" + r.sampleId(), r) != null) throw new IllegalStateException("duplicate " + r.sampleId());
                    }
                }
            }
        }
        return out;
    }

    /** Sample ids of one layer in file order (file name order, then row order). */
    static List<Long> sampleIdsInOrder(Path layerDir, ActivationCodec codec, int layer, int d) throws IOException {
        List<Long> ids = new ArrayList<>();
        try (var files = Files.list(layerDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
                for (ActivationRow r : ActivationFileReader.read(new org.apache.hadoop.fs.Path(f.toUri()), layer, codec, d, HadoopFiles.storeConf(new Configuration()))) {
                    ids.add(r.sampleId());
                }
            }
        }
        return ids;
    }
}
