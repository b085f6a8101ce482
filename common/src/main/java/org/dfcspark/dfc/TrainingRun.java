package org.dfcspark.dfc;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Single-process training of a crosscoder on an {@link ActivationSource}: batches (shuffled per epoch with the seed,
 * or consecutive rows in file order), normalisation with the crosscoder's statistics, {@link CrosscoderTrainer}
 * steps, metrics every N steps (JSONL + a progress line), periodic and final checkpoints.
 *
 * <p>A batch with NaN/Inf is skipped and counted; past {@code maxBadBatches} the run stops with an error (after
 * checkpointing the still-valid parameters). A non-finite loss or gradient stops the run at once and leaves the last
 * periodic checkpoint as it was (the last good one).
 */
public final class TrainingRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param metricsFile       optional live JSONL stream (the checkpoint directory also gets metrics.jsonl)
     * @param checkpointEvery   steps between checkpoints (≤ 0: only at the end)
     * @param provenance        extra provenance written to config.json's "training" block
     */
    public record Options(int steps, int batch, boolean shuffle, long seed, int logEvery, int checkpointEvery,
                          int maxBadBatches, Path out, Path metricsFile, PrintStream progress, int threads,
                          CrosscoderTrainer.Options trainer, Map<String, Object> provenance) {
        public Options {
            if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, got " + steps);
            if (batch <= 0) throw new IllegalArgumentException("--batch must be positive, got " + batch);
            if (logEvery <= 0) throw new IllegalArgumentException("log interval must be positive, got " + logEvery);
            if (maxBadBatches < 0) throw new IllegalArgumentException("max bad batches must be >= 0, got " + maxBadBatches);
        }
    }

    /** Stopped before the requested number of steps. */
    public static final class TrainingStopped extends RuntimeException {
        public TrainingStopped(String message) {
            super(message);
        }
    }

    public record Result(long steps, int skippedBatches, List<String> metrics, double rowsPerSecond) {}

    private TrainingRun() {}

    public static Result run(Crosscoder cc, ActivationSource data, Options o) throws IOException {
        int d = cc.activationDim(), w = 2 * d;
        if (data.dim() != d) throw new IllegalArgumentException(data.describe() + ": activation dim " + data.dim() + " but the crosscoder has " + d);
        if (data.rows() < 1) throw new IllegalArgumentException(data.describe() + ": no rows");
        CrosscoderTrainer trainer = new CrosscoderTrainer(cc, o.trainer(), o.threads());
        BatchOrder order = new BatchOrder(data.rows(), o.batch(), o.shuffle(), o.seed());
        float[] batch = new float[o.batch() * w];
        int[] ids = new int[o.batch()];
        List<String> metrics = new ArrayList<>();
        MetricsWindow window = new MetricsWindow(cc.dictSize(), o.batch());
        int skipped = 0;
        long lastCheckpoint = -1;
        long started = System.nanoTime();
        if (o.metricsFile() != null) Files.deleteIfExists(o.metricsFile());
        while (trainer.stepsTaken() < o.steps()) {
            order.next(ids);
            data.read(ids, o.batch(), batch);
            int bad = CrosscoderTrainer.firstNonFinite(batch, o.batch() * w);
            if (bad >= 0) {
                skipped++;
                String what = CrosscoderTrainer.describeValue(batch, bad, d, "row " + ids[bad / w]);
                if (o.progress() != null) o.progress().println("skipped a batch with NaN/Inf (" + skipped + " so far): " + what);
                if (skipped > o.maxBadBatches()) {
                    save(cc, o, trainer.stepsTaken(), skipped, metrics, "stopped: too many batches with NaN/Inf");
                    throw new TrainingStopped(data.describe() + ": " + skipped + " batches with NaN/Inf (limit " + o.maxBadBatches()
                            + "), last: " + what + "; parameters after " + trainer.stepsTaken() + " steps saved to " + o.out());
                }
                continue;
            }
            Normalization norm = cc.config().normalization();
            if (norm != null) norm.normalize(batch, o.batch());
            CrosscoderTrainer.StepResult r = trainer.step(batch, o.batch());
            if (r.status() == CrosscoderTrainer.Status.DIVERGED) {
                String kept = lastCheckpoint >= 0 ? "kept the last good checkpoint " + o.out() + " (step " + lastCheckpoint + ")"
                        : "no checkpoint had been written yet";
                throw new TrainingStopped("training diverged: " + r.detail() + "; " + kept);
            }
            window.add(r.terms(), r, trainer.lastFired());
            long t = trainer.stepsTaken();
            if (t % o.logEvery() == 0 || t == o.steps()) {
                String line = window.flush(t, cc, trainer.deadLatents(), "skipped_batches", skipped);
                metrics.add(line);
                if (o.metricsFile() != null) {
                    Files.writeString(o.metricsFile(), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                if (o.progress() != null) o.progress().println(progressLine(line, o.steps()));
            }
            if (o.checkpointEvery() > 0 && t % o.checkpointEvery() == 0 && t < o.steps()) {
                save(cc, o, t, skipped, metrics, "running");
                lastCheckpoint = t;
            }
        }
        save(cc, o, trainer.stepsTaken(), skipped, metrics, "completed");
        double sec = (System.nanoTime() - started) / 1e9;
        return new Result(trainer.stepsTaken(), skipped, metrics, trainer.stepsTaken() * (double) o.batch() / sec);
    }

    private static void save(Crosscoder cc, Options o, long steps, int skipped, List<String> metrics, String state) throws IOException {
        Map<String, Object> prov = new LinkedHashMap<>(o.provenance() == null ? Map.of() : o.provenance());
        prov.put("steps", steps);
        prov.put("batch", o.batch());
        prov.put("shuffle", o.shuffle());
        prov.put("seed", o.seed());
        prov.put("lr", o.trainer().schedule().lr());
        prov.put("warmup", o.trainer().schedule().warmup());
        prov.put("decay_start", o.trainer().schedule().decayStart());
        prov.put("clip", o.trainer().clip());
        prov.put("decoder_bias_init", o.trainer().biasInit().id());
        prov.put("skipped_batches", skipped);
        prov.put("state", state);
        prov.put("code_version", Version.CODE);
        cc.setConfig(cc.config().withProvenance(prov));
        if (o.out() != null) Checkpoint.save(cc, o.out(), metrics);
    }

    public static String progressLine(String jsonLine, int totalSteps) {
        try {
            var n = JSON.readTree(jsonLine);
            return String.format(Locale.ROOT, "step %d/%d  loss %.5g  FVU A %.4f B %.4f  L0 %.1f  dead %.1f%%  |w_forbidden| %.1g  %.0f rows/s",
                    n.get("step").asLong(), totalSteps, n.get("loss").asDouble(), n.get("fvu_a").asDouble(), n.get("fvu_b").asDouble(),
                    n.get("l0").asDouble(), 100 * n.get("dead_frac").asDouble(), n.get("max_forbidden").asDouble(), n.get("rows_per_s").asDouble());
        } catch (IOException e) {
            return jsonLine;
        }
    }

    /** Which rows each step uses: a fresh seeded permutation per epoch, or consecutive rows (step i: rows i·B… mod N). */
    static final class BatchOrder {
        private final int n;
        private final boolean shuffle;
        private final SplittableRandom rng;
        private final int[] perm;
        private int pos;

        BatchOrder(int n, int batch, boolean shuffle, long seed) {
            this.n = n;
            this.shuffle = shuffle;
            this.rng = new SplittableRandom(seed);
            this.perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            if (shuffle) reshuffle();
        }

        private void reshuffle() {
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }

        void next(int[] ids) {
            for (int i = 0; i < ids.length; i++) {
                if (pos == n) {
                    pos = 0;
                    if (shuffle) reshuffle();
                }
                ids[i] = perm[pos++];
            }
        }
    }
}
