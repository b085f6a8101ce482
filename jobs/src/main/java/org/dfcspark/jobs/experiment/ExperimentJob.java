package org.dfcspark.jobs.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.evaluate.EvaluateJob;
import org.dfcspark.jobs.harvest.HarvestJob;
import org.dfcspark.jobs.report.ReportJob;
import org.dfcspark.jobs.sweep.SweepJob;

/**
 * {@code bin/dfc experiment}: harvest → sweep → evaluate → report from one {@link ExperimentConfig}, into
 * {@code OUT/harvest/}, {@code OUT/sweep/}, {@code OUT/evaluation/PROTOCOL/}, {@code OUT/report/report.html}, with
 * {@code OUT/experiment.json} ({@link ExperimentRecord}). A stage is skipped when it completed with the same settings
 * fingerprint (its own settings and its input stage's fingerprint) and its output is there; otherwise it runs, resuming
 * in place when its output was started with the same fingerprint (each stage job is exactly-once and resumable), or,
 * when the output holds other settings, after moving that output aside to {@code OUT/stale/} (the stage jobs refuse an
 * output with other settings; moving keeps a finished output instead of deleting it, and the log says where it went).
 */
public final class ExperimentJob {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HARVEST_RUNTIME_KEYS = List.of("model_a_config_sha256", "model_b_config_sha256", "tokenizer_sha256", "prompts");

    /** What happened to one stage: {@code ran}, {@code skipped (up to date)}, or the dry run's plan. */
    public record StageResult(Stage stage, String action, String fingerprint, double seconds) {}

    public record Outcome(List<StageResult> stages, Path out) {
        public StageResult stage(Stage s) {
            return stages.stream().filter(r -> r.stage() == s).findFirst().orElse(null);
        }
    }

    private final ExperimentConfig cfg;
    private final Path out;
    private final Supplier<SparkSession> sparks;
    private final PrintStream log;
    private final Map<Stage, ObjectNode> settings = new LinkedHashMap<>();
    private final Map<Stage, String> fingerprints = new LinkedHashMap<>();

    private ExperimentJob(ExperimentConfig cfg, Path out, Supplier<SparkSession> sparks, PrintStream log) {
        this.cfg = cfg;
        this.out = out.toAbsolutePath().normalize();
        this.sparks = sparks;
        this.log = log;
        String input = "";
        for (Stage s : Stage.values()) {
            ObjectNode n = settingsOf(s);
            settings.put(s, n);
            input = sha256(s.id() + "\n" + ExperimentConfig.canonical(n) + "\n" + input);
            fingerprints.put(s, input);
        }
    }

    /**
     * Runs the stages up to {@code until} (or, with {@code dryRun}, prints each stage's plan and estimated cost and writes
     * nothing). The Spark session is created only when a stage needs it.
     */
    public static Outcome run(ExperimentConfig cfg, Path out, Stage until, boolean dryRun, Supplier<SparkSession> sparks, PrintStream log)
            throws Exception {
        ExperimentJob job = new ExperimentJob(cfg, out, sparks, log);
        return dryRun ? job.dryRun(until) : job.run(until);
    }

    private Outcome run(Stage until) throws Exception {
        Files.createDirectories(out);
        ExperimentRecord record = ExperimentRecord.read(out);
        record.config(cfg.resolvedJson());
        List<StageResult> results = new ArrayList<>();
        for (Stage s : Stage.values()) {
            if (s.ordinal() > until.ordinal()) break;
            String fp = fingerprints.get(s);
            if (upToDate(record, s)) {
                log.printf("experiment: %s: up to date (fingerprint %s), skipped%n", s.id(), fp);
                results.add(new StageResult(s, "skipped (up to date)", fp, 0));
                continue;
            }
            log.printf("experiment: %s: running (%s)%n", s.id(), why(record, s));
            if (!fp.equals(record.fingerprint(s))) moveAside(s, record);
            record.started(s, fp, settings.get(s));
            record.save();
            long t0 = System.nanoTime();
            try {
                runStage(s);
            } catch (Exception | Error e) {
                record.ended(s, "failed: " + String.valueOf(e.getMessage()).replace('\n', ' '), (System.nanoTime() - t0) / 1e9);
                record.save();
                throw e;
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            record.ended(s, ExperimentRecord.COMPLETE, sec);
            record.save();
            log.printf(Locale.ROOT, "experiment: %s: complete [%.1f s] -> %s%n", s.id(), sec, s.dir(out));
            results.add(new StageResult(s, "ran", fp, sec));
        }
        record.save(); // the resolved config, when only keys outside every fingerprint changed
        return new Outcome(results, out);
    }

    private Outcome dryRun(Stage until) throws Exception {
        ExperimentRecord record = ExperimentRecord.read(out);
        List<StageResult> results = new ArrayList<>();
        CostEstimate cost = new CostEstimate(cfg, out, sparks, log);
        log.println("experiment (dry run): " + cfg.source() + " -> " + out);
        boolean earlierRuns = false;
        for (Stage s : Stage.values()) {
            if (s.ordinal() > until.ordinal()) break;
            String fp = fingerprints.get(s);
            boolean skip = upToDate(record, s);
            String plan = skip ? "up to date (fingerprint " + fp + "): would be skipped" : "would run (" + why(record, s) + ")";
            if (!skip && !fp.equals(record.fingerprint(s)) && anyExists(s)) plan += "; its previous output would be moved to " + out.resolve("stale");
            log.println("experiment: " + s.id() + ": " + plan);
            if (!skip) {
                switch (s) {
                    case HARVEST -> cost.harvest();
                    case SWEEP -> cost.sweep(!earlierRuns && upToDate(record, Stage.HARVEST));
                    case EVALUATE -> cost.evaluate();
                    case REPORT -> log.println("  cost: reads the tables and encodes the ranking prompts once per crosscoder; small next to the stages above");
                }
            }
            earlierRuns |= !skip;
            results.add(new StageResult(s, plan, fp, 0));
        }
        cost.total();
        log.println("experiment: nothing written (--dry-run)");
        return new Outcome(results, out);
    }

    private boolean upToDate(ExperimentRecord record, Stage s) {
        return ExperimentRecord.COMPLETE.equals(record.status(s)) && fingerprints.get(s).equals(record.fingerprint(s)) && outputComplete(s);
    }

    /** The line that says why a stage runs. */
    private String why(ExperimentRecord record, Stage s) {
        String recorded = record.fingerprint(s);
        if (recorded == null) return anyExists(s) ? "its output exists but experiment.json has no record of it" : "not run yet";
        if (!recorded.equals(fingerprints.get(s))) {
            String diff = SettingsDiff.describe(record.settings(s), settings.get(s));
            if (diff.isEmpty()) diff = "an earlier stage's settings changed";
            return "settings changed: " + diff;
        }
        String status = record.status(s);
        if (ExperimentRecord.RUNNING.equals(status)) return "resuming: the last run stopped during this stage";
        if (status.startsWith("failed")) return "retrying: the last run " + status;
        return "its output is incomplete";
    }

    private void runStage(Stage s) throws Exception {
        SparkSession spark = sparks.get();
        switch (s) {
            case HARVEST -> {
                writeTrainingPrompts(spark);
                HarvestJob.run(spark, cfg.harvestOptions(out), log::println);
            }
            case SWEEP -> {
                SweepJob.Outcome o = SweepJob.run(spark, cfg.grid(out), Stage.SWEEP.dir(out), Set.of(), false, 10, log);
                if (o.failed() > 0) {
                    throw new IllegalStateException(o.failed() + " sweep variant(s) failed (reasons in " + o.summary()
                            + "); run the same command again to retry them from their last checkpoints");
                }
            }
            case EVALUATE -> {
                List<String> crosscoders = trainedCrosscoders();
                for (String p : cfg.protocols()) EvaluateJob.run(spark, cfg.evaluateOptions(p, crosscoders), Stage.EVALUATE.dir(out).resolve(p), log);
            }
            case REPORT -> ReportJob.run(spark, out, Stage.reportFile(out), cfg.reportContextPrompts(), log);
        }
    }

    /**
     * OUT/harvest-prompts: the first {@code limit} tool prompts, then the first {@code limit} generic ones (the harvest takes
     * one table). Deterministic, so a resumed harvest sees the same table; written once, sealed by Spark's _SUCCESS.
     */
    private void writeTrainingPrompts(SparkSession spark) throws IOException {
        Path dir = Stage.harvestPrompts(out);
        if (Files.exists(dir.resolve("_SUCCESS"))) return;
        List<Row> rows = new ArrayList<>();
        for (String table : List.of(cfg.toolPrompts(), cfg.genericPrompts())) {
            List<PromptRecord> records = PromptsTable.readLocal(spark, table, cfg.trainingLimit());
            if (records.isEmpty()) throw new IllegalArgumentException("training_prompts: " + table + " has no prompts");
            for (PromptRecord r : records) rows.add(PromptsTable.toRow(r));
        }
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().mode(org.apache.spark.sql.SaveMode.Overwrite).parquet(dir.toString());
        log.printf("experiment: harvest: %d training prompts (tool + generic) -> %s%n", rows.size(), dir);
    }

    /** The sweep's checkpoints (a diverged variant without a good checkpoint has none and is left out, with a line). */
    private List<String> trainedCrosscoders() {
        List<String> dirs = new ArrayList<>();
        for (Path d : cfg.variantDirs(out)) {
            if (Files.isRegularFile(d.resolve(Checkpoint.CONFIG)) && Files.isRegularFile(d.resolve(Checkpoint.WEIGHTS))) dirs.add(d.toString());
            else log.println("experiment: evaluate: " + d + " has no checkpoint (diverged before its first one); left out");
        }
        if (dirs.isEmpty()) throw new IllegalStateException("the sweep left no checkpoint to evaluate in " + Stage.SWEEP.dir(out));
        return dirs;
    }

    private boolean outputComplete(Stage s) {
        return switch (s) {
            case HARVEST -> Files.isRegularFile(Stage.HARVEST.dir(out).resolve("manifest.json"));
            case SWEEP -> Files.isRegularFile(Stage.SWEEP.dir(out).resolve("summary.csv"))
                    && Files.isRegularFile(Stage.SWEEP.dir(out).resolve("summary.parquet").resolve("_SUCCESS"));
            case EVALUATE -> cfg.protocols().stream().allMatch(p -> Files.isRegularFile(Stage.EVALUATE.dir(out).resolve(p).resolve("summary/_SUCCESS")));
            case REPORT -> Files.isRegularFile(Stage.reportFile(out));
        };
    }

    private List<Path> outputs(Stage s) {
        return s == Stage.HARVEST ? List.of(Stage.HARVEST.dir(out), Stage.harvestPrompts(out)) : List.of(s.dir(out));
    }

    private boolean anyExists(Stage s) {
        return outputs(s).stream().anyMatch(Files::exists);
    }

    /** A stage's output made with other settings goes to OUT/stale/STAGE-TIME/ (one rename; never deleted here). */
    private void moveAside(Stage s, ExperimentRecord record) throws IOException {
        if (!anyExists(s)) return;
        Path target = out.resolve("stale").resolve(s.id() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")));
        Files.createDirectories(target);
        for (Path p : outputs(s)) {
            if (!Files.exists(p)) continue;
            Files.move(p, target.resolve(p.getFileName()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        String status = record.status(s);
        log.printf("experiment: %s: moved the previous output (%s, fingerprint %s) aside to %s; delete it when you no longer need it%n",
                s.id(), status == null ? "no record" : status, record.fingerprint(s), target);
    }

    /** What decides a stage's output (paths of the run directory left out: the input fingerprint covers them). */
    private ObjectNode settingsOf(Stage s) {
        ObjectNode n = JSON.createObjectNode();
        switch (s) {
            case HARVEST -> {
                var o = cfg.harvestOptions(out);
                ObjectNode h = o.fingerprint(JSON, "", "", "");
                HARVEST_RUNTIME_KEYS.forEach(h::remove);
                h.put("shuffle", o.shuffle()).put("shuffle_seed", o.shuffleSeed());
                n.set("harvest", h);
                n.putObject("training_prompts").put("tool", cfg.toolPrompts()).put("generic", cfg.genericPrompts()).put("limit", cfg.trainingLimit());
            }
            case SWEEP -> {
                var grid = cfg.grid(out);
                ArrayNode variants = n.putArray("variants");
                for (Variant v : grid.variants()) {
                    Map<String, Object> identity = new LinkedHashMap<>(v.config().identity());
                    identity.remove("store");
                    variants.addObject().put("id", v.id()).set("train", JSON.valueToTree(identity));
                }
                n.put("eval_rows", grid.settings().evalRows());
            }
            case EVALUATE -> {
                ObjectNode byProtocol = n.putObject("protocols");
                for (String p : cfg.protocols()) {
                    ObjectNode o = (ObjectNode) readTree(cfg.evaluateOptions(p, List.of("sweep")).canonical());
                    o.remove("crosscoders");
                    byProtocol.set(p, o);
                }
            }
            case REPORT -> n.set("report", ExperimentConfig.json(cfg.report().root()));
        }
        return n;
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(String text) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
