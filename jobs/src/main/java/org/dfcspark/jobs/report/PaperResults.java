package org.dfcspark.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import org.dfcspark.toolcall.stats.MeanStd;

/**
 * The paper's own results, read from its result files in {@code data/paper-results/} (copied from its repository):
 * the per-crosscoder reconstruction table ({@code results_full.jsonl}), its steering table ({@code results_steer.jsonl},
 * model B only), its sweep list ({@code models.jsonl}), and the headline numbers as its text states them
 * ({@code stated.json}). The headline is recomputed from the per-crosscoder rows as the paper does it: mean ± sample SD
 * of the tool-correctness deltas over the evaluated crosscoders.
 */
public record PaperResults(Stated stated, List<Variant> variants, List<SteerRow> steering, int sweepSize, String modelA, String modelB) {

    /** One crosscoder's reconstruction row: tool correctness (%) of each model before and after, and the deltas (pp). */
    public record Variant(String name, String family, int dictSize, int k, double exclusivePct, double exclusiveL1, double cleanA, double deltaA,
                          double cleanB, double deltaB, int n) {}

    /** One steering row of the paper: model B steered by a scale factor; tool correctness before and after (%). */
    public record SteerRow(String name, double scale, double cleanB, double steeredB, double deltaB, int n) {}

    /** The headline as the paper's text states it (pp). */
    public record Stated(double aMean, double aStd, double bMean, double bStd, double steerMean, double steerLower, double steerUpper,
                         String steerCrosscoder, int steerFeature, double steerAlpha, int steerPrompts, String source) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static PaperResults load(Path dir) throws IOException {
        List<Variant> variants = new ArrayList<>();
        String modelA = null, modelB = null;
        for (JsonNode r : lines(dir.resolve("results_full.jsonl"))) {
            if (r.path("n_evaluated").asInt() <= 0) continue;
            JsonNode h = r.path("hyperparameters");
            modelA = h.path("model_a").asText();
            modelB = h.path("model_b").asText();
            variants.add(new Variant(shortName(r), h.path("architecture").asText().equals("DFC") ? "dfc" : "cc", h.path("dict_size").asInt(),
                    h.path("k").asInt(), 100 * h.path("model_a_exclusive_pct").asDouble(), h.path("exclusive_sparsity_coef").asDouble(),
                    r.path("tool_correctness_A_pre").asDouble(), r.path("tool_correctness_A_delta").asDouble(),
                    r.path("tool_correctness_B_pre").asDouble(), r.path("tool_correctness_B_delta").asDouble(), r.path("n_evaluated").asInt()));
        }
        List<SteerRow> steer = new ArrayList<>();
        for (JsonNode r : lines(dir.resolve("results_steer.jsonl"))) {
            if (r.path("n_evaluated").asInt() <= 0) continue;
            steer.add(new SteerRow(shortName(r), r.path("scale_factor").asDouble(), r.path("tool_correctness_B_baseline").asDouble(),
                    r.path("tool_correctness_B_steered").asDouble(), r.path("tool_correctness_B_steer_delta").asDouble(), r.path("n_evaluated").asInt()));
        }
        int sweep = lines(dir.resolve("models.jsonl")).size();
        JsonNode s = JSON.readTree(dir.resolve("stated.json").toFile());
        JsonNode st = s.path("steering");
        Stated stated = new Stated(s.path("reconstruction_a").path("mean").asDouble(), s.path("reconstruction_a").path("std").asDouble(),
                s.path("spillover_b").path("mean").asDouble(), s.path("spillover_b").path("std").asDouble(), st.path("mean").asDouble(),
                st.path("lower").asDouble(), st.path("upper").asDouble(), st.path("crosscoder").asText(), st.path("feature").asInt(),
                st.path("alpha").asDouble(), st.path("n_prompts").asInt(), s.path("source").asText());
        if (variants.isEmpty()) throw new IllegalArgumentException(dir.resolve("results_full.jsonl") + ": no evaluated crosscoder");
        return new PaperResults(stated, List.copyOf(variants), List.copyOf(steer), sweep, modelA, modelB);
    }

    /** Δ_A over the evaluated crosscoders, mean ± sample SD (the paper's headline statistic). */
    public MeanStd reconstructionA() {
        return MeanStd.of(variants.stream().mapToDouble(Variant::deltaA).toArray());
    }

    /** Δ_B over the evaluated crosscoders (capability spillover). */
    public MeanStd spilloverB() {
        return MeanStd.of(variants.stream().mapToDouble(Variant::deltaB).toArray());
    }

    /** Clean tool correctness (%) of a model, mean over the crosscoder rows (the same clean run repeated per row). */
    public double clean(String model) {
        return variants.stream().mapToDouble(v -> model.equals("A") ? v.cleanA() : v.cleanB()).average().orElse(Double.NaN);
    }

    /** Δ_B of the paper's model-B steering per scale factor, mean ± sample SD over the steered crosscoders. */
    public Map<Double, MeanStd> steeringBByScale() {
        Map<Double, List<Double>> by = new TreeMap<>();
        for (SteerRow r : steering) by.computeIfAbsent(r.scale(), x -> new ArrayList<>()).add(r.deltaB());
        Map<Double, MeanStd> out = new TreeMap<>();
        by.forEach((scale, d) -> out.put(scale, MeanStd.of(d.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }

    /** Prompts per crosscoder evaluation (the paper evaluated 100 per model). */
    public int promptsPerRun() {
        return variants.get(0).n();
    }

    private static String shortName(JsonNode r) {
        String n = r.path("name").asText();
        return n.substring(n.indexOf('/') + 1);
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(JSON.readTree(line));
        }
        return out;
    }
}
