package org.dfcspark.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.dfcspark.data.ProjectPaths;

/**
 * The run overview's facts: code versions (this checkout's {@code git describe}, and the harvest store's), the models
 * with a content hash, and the wall time of each stage as the run's own records give it.
 */
record RunFacts(String codeVersion, String storeCodeVersion, List<Model> models, List<Stage> stages) {
    /** A model directory and the SHA-256 of its config.json and weight files (names and bytes, in name order). */
    record Model(String role, String path, String sha256) {}

    /** {@code seconds} null when the run did not record it; {@code how} says where the number comes from. */
    record Stage(String name, Double seconds, String how) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static RunFacts collect(RunLayout layout, List<Evaluation> evaluations, List<Row> sweep, double reportSeconds) throws IOException {
        Map<String, Model> models = new LinkedHashMap<>();
        for (Evaluation e : evaluations) {
            for (String[] m : new String[][] {{"A", e.options().modelA()}, {"B", e.options().modelB()}}) {
                if (!models.containsKey(m[1])) models.put(m[1], new Model(m[0], m[1], sha256(Path.of(m[1]))));
            }
        }
        List<Stage> stages = new ArrayList<>();
        String storeVersion = null;
        if (layout.store() != null) {
            JsonNode manifest = JSON.readTree(layout.store().resolve("manifest.json").toFile());
            storeVersion = manifest.path("code_version").asText(null);
            stages.add(new Stage("harvest", between(manifest.path("created").asText(null), manifest.path("finished").asText(null)),
                    "manifest.json: created → finished"));
        }
        if (sweep != null && !sweep.isEmpty() && Cols.has(sweep.get(0), "wall_s")) {
            double sum = 0;
            for (Row r : sweep) sum += Cols.dbl(r, "wall_s") == null ? 0 : Cols.dbl(r, "wall_s");
            stages.add(new Stage("sweep (" + sweep.size() + " variant × hook)", sum, "sum of the sweep summary's wall_s"));
        }
        for (Evaluation e : evaluations) {
            Path d = e.dir();
            Instant start = mtime(d.resolve(RunLayout.EVALUATION_MARK)), ranked = mtime(d.resolve("features/_SUCCESS")),
                    generated = mtime(d.resolve("generations/_SUCCESS")), tabled = mtime(d.resolve("summary/_SUCCESS"));
            String how = "file times in " + d.getFileName() + " (a resumed run: the first start, the last finish)";
            stages.add(new Stage("evaluate " + e.name() + ": ranking", seconds(start, ranked), how));
            stages.add(new Stage("evaluate " + e.name() + ": generation and scoring", seconds(ranked, generated), how));
            stages.add(new Stage("evaluate " + e.name() + ": tables", seconds(generated, tabled), how));
        }
        stages.add(new Stage("report: model forwards and tables", reportSeconds, "measured by this report"));
        return new RunFacts(gitDescribe(), storeVersion, List.copyOf(models.values()), stages);
    }

    static String sha256(Path modelDir) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(modelDir)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("config.json") || n.endsWith(".safetensors");
            }).sorted().toList();
        }
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String gitDescribe() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").directory(ProjectPaths.root().toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && !out.isEmpty() ? out : "unknown (not a git checkout)";
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static Instant mtime(Path p) throws IOException {
        return Files.exists(p) ? Files.getLastModifiedTime(p).toInstant() : null;
    }

    private static Double seconds(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to).toMillis() / 1000.0;
    }

    private static Double between(String from, String to) {
        try {
            return from == null || to == null ? null : seconds(Instant.parse(from), Instant.parse(to));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
