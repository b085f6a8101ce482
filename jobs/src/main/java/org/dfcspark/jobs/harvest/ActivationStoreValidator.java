package org.dfcspark.jobs.harvest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * Checks an activation store against data-schemas/activations.md: the manifest's fields, every Parquet file's
 * schema and footer metadata, row counts against the manifest, and (with {@code readRows}) every row: vector
 * sizes, finite values, sample ids unique per layer and consistent with positions, sink flags consistent with
 * the policy; then statistics.json and the shuffled copy. Returns every problem found, not just the first.
 */
public final class ActivationStoreValidator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Configuration conf;
    private final StoreLayout layout;
    private final List<String> problems = new ArrayList<>();
    private long rowsRead;

    public record Report(List<String> problems, long rowsRead) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private ActivationStoreValidator(String store, Configuration conf) {
        this.layout = new StoreLayout(store);
        this.conf = HadoopFiles.storeConf(conf);
    }

    public static Report validate(String store, Configuration conf, boolean readRows) throws IOException {
        ActivationStoreValidator v = new ActivationStoreValidator(store, conf);
        v.run(readRows);
        return new Report(List.copyOf(v.problems), v.rowsRead);
    }

    private void problem(String s) {
        problems.add(s);
    }

    private void run(boolean readRows) throws IOException {
        if (!HadoopFiles.exists(layout.manifest(), conf)) {
            problem(layout.manifest() + ": missing (the harvest is not complete)");
            return;
        }
        JsonNode m = JSON.readTree(HadoopFiles.read(layout.manifest(), conf));
        for (String k : HarvestManifest.REQUIRED) if (!m.has(k)) problem("manifest.json: missing field '" + k + "'");
        if (!problems.isEmpty()) return;
        if (!ActivationSchema.FORMAT.equals(m.get("format").asText())) problem("manifest.json: format is " + m.get("format"));
        ActivationCodec codec;
        try {
            codec = ActivationCodec.parse(m.get("dtype").asText());
        } catch (IllegalArgumentException e) {
            problem("manifest.json: " + e.getMessage());
            return;
        }
        int d = m.get("d_model").asInt();
        if (d <= 0) problem("manifest.json: d_model must be positive, got " + m.get("d_model"));
        for (String model : List.of("a", "b")) {
            JsonNode mm = m.path("models").path(model);
            if (!mm.path("path").isTextual() || !mm.path("config_sha256").asText().matches("[0-9a-f]{64}")) {
                problem("manifest.json: models." + model + " needs path and a sha256 config_sha256");
            }
        }
        boolean dropSinks = "drop".equals(m.path("sink").path("policy").asText());
        List<Integer> layers = new ArrayList<>();
        m.get("layers").forEach(l -> layers.add(l.asInt()));
        if (layers.isEmpty()) problem("manifest.json: no layers");

        checkNoStrayLayers(layout.activations(), layers);
        for (int layer : layers) {
            long expected = m.path("rows").path(Integer.toString(layer)).asLong(-1);
            long sinks = m.path("layer_counts").path(Integer.toString(layer)).path("sinks").asLong(0);
            LayerScan scan = scanLayer(layout.activationLayer(layer), layer, codec, d, true, readRows);
            if (scan.rows != expected) {
                problem("layer " + layer + ": " + scan.rows + " rows in the files but " + expected + " in manifest.json");
            }
            if (readRows) {
                if (dropSinks && scan.sinkRows > 0) problem("layer " + layer + ": " + scan.sinkRows + " rows flagged sink under policy drop");
                if (!dropSinks && scan.sinkRows != sinks) {
                    problem("layer " + layer + ": " + scan.sinkRows + " sink rows but manifest counts " + sinks);
                }
            }
            checkStatistics(layer, d, readRows ? scan.rows - scan.sinkRows : expected - (dropSinks ? 0 : sinks));
            if (!m.get("shuffled").isNull()) {
                if (!HadoopFiles.exists(new Path(layout.shuffledLayer(layer), "_SUCCESS"), conf)) {
                    problem(layout.shuffledLayer(layer) + ": no _SUCCESS (shuffled copy incomplete)");
                }
                LayerScan sh = scanLayer(layout.shuffledLayer(layer), layer, codec, d, false, readRows);
                if (sh.rows != expected) problem("shuffled layer " + layer + ": " + sh.rows + " rows, expected " + expected);
                if (readRows && !sh.sampleIds.equals(scan.sampleIds)) {
                    problem("shuffled layer " + layer + ": its sample ids differ from activations/layer=" + layer);
                }
            }
        }
    }

    private static final class LayerScan {
        long rows;
        long sinkRows;
        Set<Long> sampleIds = new HashSet<>();
    }

    private LayerScan scanLayer(Path dir, int layer, ActivationCodec codec, int d, boolean shardFiles, boolean readRows)
            throws IOException {
        LayerScan scan = new LayerScan();
        List<Path> files = HadoopFiles.list(dir, conf);
        files.removeIf(p -> !p.getName().endsWith(".parquet"));
        if (files.isEmpty()) problem(dir + ": no Parquet files");
        for (Path f : files) {
            if (shardFiles && StoreLayout.shardOf(f.getName()) < 0) problem(f + ": not a shard file name (shard-NNNNN.parquet)");
            ParquetMetadata footer;
            try {
                footer = ActivationFileReader.footer(f, conf);
            } catch (IOException | RuntimeException e) {
                // A truncated or foreign file: name it and go on with the others (every problem in one run).
                problem(f + ": unreadable Parquet footer (truncated or not Parquet): " + e.getClass().getSimpleName() + ": "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                continue;
            }
            checkSchema(f, footer.getFileMetaData().getSchema(), shardFiles);
            if (shardFiles) checkFooterMetadata(f, footer.getFileMetaData().getKeyValueMetaData(), codec, d, layer);
            for (BlockMetaData b : footer.getBlocks()) scan.rows += b.getRowCount();
            if (readRows) readRows(f, layer, codec, d, scan);
        }
        return scan;
    }

    private void readRows(Path f, int layer, ActivationCodec codec, int d, LayerScan scan) {
        List<ActivationRow> rows;
        try {
            rows = ActivationFileReader.read(f, layer, codec, d, conf);
        } catch (IOException | RuntimeException e) {
            problem(f + ": unreadable rows: " + e.getMessage());
            return;
        }
        for (ActivationRow r : rows) {
            rowsRead++;
            if (r.sink()) scan.sinkRows++;
            if (!scan.sampleIds.add(r.sampleId())) problem(f + ": sample_id " + r.sampleId() + " appears twice in layer " + layer);
            if ((r.sampleId() & ((1L << PreparedSequence.POSITION_BITS) - 1)) != r.position()) {
                problem(f + ": sample_id " + r.sampleId() + " does not end in its position " + r.position());
            }
            if (!finite(r.a()) || !finite(r.b())) problem(f + ": sample_id " + r.sampleId() + " holds NaN/Inf");
        }
    }

    private void checkSchema(Path f, MessageType actual, boolean strictRepetition) {
        MessageType expected = ActivationSchema.PARQUET;
        for (Type e : expected.getFields()) {
            if (!actual.containsField(e.getName())) {
                problem(f + ": missing column " + e.getName());
                continue;
            }
            Type a = actual.getType(e.getName());
            if (!a.isPrimitive() || a.asPrimitiveType().getPrimitiveTypeName() != e.asPrimitiveType().getPrimitiveTypeName()
                    || !java.util.Objects.equals(a.getLogicalTypeAnnotation(), e.getLogicalTypeAnnotation())) {
                problem(f + ": column " + e.getName() + " is " + a + ", expected " + e);
            } else if (strictRepetition && a.getRepetition() != e.getRepetition()) {
                problem(f + ": column " + e.getName() + " is " + a.getRepetition() + ", expected " + e.getRepetition());
            }
        }
        for (Type a : actual.getFields()) {
            if (!expected.containsField(a.getName())) problem(f + ": unexpected column " + a.getName());
        }
    }

    private void checkFooterMetadata(Path f, Map<String, String> kv, ActivationCodec codec, int d, int layer) {
        check(f, kv, ActivationSchema.META_FORMAT, ActivationSchema.FORMAT);
        check(f, kv, ActivationSchema.META_DTYPE, codec.id());
        check(f, kv, ActivationSchema.META_D_MODEL, Integer.toString(d));
        check(f, kv, ActivationSchema.META_LAYER, Integer.toString(layer));
    }

    private void check(Path f, Map<String, String> kv, String key, String expected) {
        if (!expected.equals(kv.get(key))) problem(f + ": footer " + key + " = " + kv.get(key) + ", expected " + expected);
    }

    private void checkNoStrayLayers(Path activations, List<Integer> layers) throws IOException {
        if (!HadoopFiles.exists(activations, conf)) {
            problem(activations + ": missing");
            return;
        }
        for (FileStatus s : HadoopFiles.fs(activations, conf).listStatus(activations)) {
            String n = s.getPath().getName();
            if (n.startsWith(".") || n.startsWith("_")) continue;
            boolean known = s.isDirectory() && n.startsWith("layer=") && layers.stream().anyMatch(l -> n.equals("layer=" + l));
            if (!known) problem(s.getPath() + ": not a layer directory of the manifest");
        }
    }

    private void checkStatistics(int layer, int d, long expectedCount) throws IOException {
        if (!HadoopFiles.exists(layout.statistics(), conf)) {
            problem(layout.statistics() + ": missing");
            return;
        }
        JsonNode s = JSON.readTree(HadoopFiles.read(layout.statistics(), conf));
        for (String model : List.of("a", "b")) {
            JsonNode e = null;
            for (JsonNode x : s.path("entries")) {
                if (x.path("layer").asInt(-1) == layer && model.equals(x.path("model").asText())) e = x;
            }
            String where = "statistics.json layer " + layer + " model " + model;
            if (e == null) {
                problem(where + ": missing");
                continue;
            }
            if (e.path("count").asLong(-1) != expectedCount) {
                problem(where + ": count " + e.path("count") + ", expected " + expectedCount);
            }
            for (String k : List.of("mean", "var")) {
                JsonNode arr = e.path(k);
                if (!arr.isArray() || arr.size() != d) {
                    problem(where + ": " + k + " must hold " + d + " values");
                    continue;
                }
                for (JsonNode v : arr) {
                    if (!v.isNumber() || !Double.isFinite(v.asDouble()) || (k.equals("var") && v.asDouble() < 0)) {
                        problem(where + ": " + k + " holds " + v);
                        break;
                    }
                }
            }
            if (expectedCount > 0 && !(e.path("mean_norm").isNumber() && e.path("mean_norm").asDouble() >= 0)) {
                problem(where + ": mean_norm must be a non-negative number");
            }
        }
    }

    private static boolean finite(float[] v) {
        for (float f : v) if (!Float.isFinite(f)) return false;
        return true;
    }
}
