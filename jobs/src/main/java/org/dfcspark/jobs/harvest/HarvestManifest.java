package org.dfcspark.jobs.harvest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.dfcspark.harvest.HarvestCounts;

/** Builds {@code manifest.json} (fields documented in data-schemas/activations.md). */
final class HarvestManifest {
    private HarvestManifest() {}

    record Models(String pathA, String configShaA, String pathB, String configShaB, String tokenizerSha,
                  int numHiddenLayers, int dModel) {}

    static ObjectNode build(ObjectMapper json, HarvestOptions o, Models m, ObjectNode settings, HarvestCounts counts,
                            int shards, Instant created, Instant finished, String codeVersion, String master,
                            int threadsPerTask, Map<Integer, Long> shuffledRows) {
        ObjectNode n = json.createObjectNode();
        n.put("format", ActivationSchema.FORMAT);
        n.put("created", created.toString());
        n.put("finished", finished.toString());
        n.put("code_version", codeVersion);
        ObjectNode models = n.putObject("models");
        model(models.putObject("a"), m.pathA(), m.configShaA(), m.numHiddenLayers());
        model(models.putObject("b"), m.pathB(), m.configShaB(), m.numHiddenLayers());
        n.put("tokenizer_sha256", m.tokenizerSha());
        n.put("hook", "blocks.{layer}.hook_resid_post");
        o.layers().forEach(n.putArray("layers")::add);
        n.put("positions", o.positions().id());
        n.put("rendering", o.rendering());
        n.put("dtype", o.dtype().id());
        n.put("d_model", m.dModel());
        n.put("max_length", o.maxLength());
        n.put("truncation", o.truncation().id());
        n.put("include_special", o.includeSpecial());
        ObjectNode sink = n.putObject("sink");
        sink.put("factor", o.sinkFactor());
        sink.put("policy", o.sinkPolicy().id());
        ObjectNode prompts = n.putObject("prompts");
        prompts.put("path", o.prompts());
        prompts.put("count", counts.prompts);
        prompts.put("truncated", counts.truncated);
        prompts.put("empty", counts.empty);
        n.put("tokens", counts.tokens);
        n.put("shards", shards);
        ObjectNode rows = n.putObject("rows");
        ObjectNode perLayer = n.putObject("layer_counts");
        for (int layer : o.layers()) {
            HarvestCounts.Layer c = counts.layers.getOrDefault(layer, new HarvestCounts.Layer());
            rows.put(Integer.toString(layer), c.rows);
            ObjectNode lc = perLayer.putObject(Integer.toString(layer));
            lc.put("rows", c.rows);
            lc.put("sinks", c.sinks);
            lc.put("nonfinite", c.nonfinite);
            lc.put("overflow", c.overflow);
        }
        counts.nonfiniteExamples.forEach(n.putArray("nonfinite_examples")::add);
        n.put("statistics", "statistics.json");
        if (shuffledRows == null) {
            n.putNull("shuffled");
        } else {
            ObjectNode sh = n.putObject("shuffled");
            sh.put("path", "shuffled");
            sh.put("seed", o.shuffleSeed());
            ObjectNode sr = sh.putObject("rows");
            shuffledRows.forEach((l, c) -> sr.put(Integer.toString(l), c));
        }
        ObjectNode spark = n.putObject("spark");
        spark.put("master", master);
        spark.put("threads_per_task", threadsPerTask);
        n.set("settings", settings);
        return n;
    }

    private static void model(ObjectNode n, String path, String sha, int layers) {
        n.put("path", path);
        n.put("config_sha256", sha);
        n.put("num_hidden_layers", layers);
    }

    static final List<String> REQUIRED = List.of("format", "created", "finished", "code_version", "models",
            "tokenizer_sha256", "hook", "layers", "positions", "rendering", "dtype", "d_model", "max_length",
            "truncation", "include_special", "sink", "prompts", "tokens", "shards", "rows", "layer_counts",
            "nonfinite_examples", "statistics", "shuffled", "spark", "settings");
}
