package org.dfcspark.testing;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Faults that tests inject into the real jobs: a harvest shard that dies after publishing part of its output, a
 * training run that throws at a step, a slow model so that a test can kill a run midway. Never part of a job's options
 * or configs (those describe the science and are fingerprinted); read from the JVM system property {@value #PROPERTY}
 * on the driver, a comma-separated list of {@code key=value}:
 * <pre>
 *   harvest.fail-shard=N        the first attempt of shard N throws after committing its first layer's file
 *   harvest.batch-delay-ms=N    sleep after every harvest batch
 *   train.fail-at-step=N        a training run throws once at step N (replica 0; once per output directory)
 *   train.fail-only=NAME        ... only the sweep variant NAME, or those starting with PREFIX for PREFIX* (default: every run)
 *   train.step-delay-ms=N       sleep after every training step
 *   evaluate.fail-shard=N       the first attempt of each evaluation item of prompt shard N throws after its first
 *                               prompt's rows were written, before the file is published
 * </pre>
 * The driver reads it once ({@link #fromSystemProperties}) and hands the value to its tasks, so executors in other JVMs
 * get it inside the task closure. Unknown keys are refused: a mistyped fault would make a test pass vacuously.
 */
public record InjectedFaults(int harvestFailShard, long harvestBatchDelayMs, long trainFailAtStep, String trainFailOnly, long trainStepDelayMs,
                             int evaluateFailShard) implements Serializable {
    public static final String PROPERTY = "dfc.faults";
    public static final InjectedFaults NONE = new InjectedFaults(-1, 0, -1, null, 0, -1);

    public static InjectedFaults fromSystemProperties() {
        return parse(System.getProperty(PROPERTY, ""));
    }

    public static InjectedFaults parse(String spec) {
        InjectedFaults f = NONE;
        for (String item : spec.split(",")) {
            if (item.isBlank()) continue;
            String[] kv = item.split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException(PROPERTY + ": expected key=value, got '" + item.trim() + "'");
            String k = kv[0].trim(), v = kv[1].trim();
            try {
                f = switch (k) {
                    case "harvest.fail-shard" -> new InjectedFaults(Integer.parseInt(v), f.harvestBatchDelayMs, f.trainFailAtStep, f.trainFailOnly,
                            f.trainStepDelayMs, f.evaluateFailShard);
                    case "harvest.batch-delay-ms" -> new InjectedFaults(f.harvestFailShard, Long.parseLong(v), f.trainFailAtStep, f.trainFailOnly,
                            f.trainStepDelayMs, f.evaluateFailShard);
                    case "train.fail-at-step" -> new InjectedFaults(f.harvestFailShard, f.harvestBatchDelayMs, Long.parseLong(v), f.trainFailOnly,
                            f.trainStepDelayMs, f.evaluateFailShard);
                    case "train.fail-only" -> new InjectedFaults(f.harvestFailShard, f.harvestBatchDelayMs, f.trainFailAtStep, v, f.trainStepDelayMs,
                            f.evaluateFailShard);
                    case "train.step-delay-ms" -> new InjectedFaults(f.harvestFailShard, f.harvestBatchDelayMs, f.trainFailAtStep, f.trainFailOnly,
                            Long.parseLong(v), f.evaluateFailShard);
                    case "evaluate.fail-shard" -> new InjectedFaults(f.harvestFailShard, f.harvestBatchDelayMs, f.trainFailAtStep, f.trainFailOnly,
                            f.trainStepDelayMs, Integer.parseInt(v));
                    default -> throw new IllegalArgumentException(PROPERTY + ": unknown fault '" + k + "' (known: harvest.fail-shard, "
                            + "harvest.batch-delay-ms, train.fail-at-step, train.fail-only, train.step-delay-ms, evaluate.fail-shard)");
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(PROPERTY + ": " + k + " must be an integer, got '" + v + "'");
            }
        }
        return f;
    }

    /** Whether the training run named {@code name} (a sweep variant; null for a plain train) fails at {@link #trainFailAtStep}. */
    public boolean failsTraining(String name) {
        if (trainFailAtStep < 0) return false;
        if (trainFailOnly == null) return true;
        if (name == null) return false;
        return trainFailOnly.endsWith("*") ? name.startsWith(trainFailOnly.substring(0, trainFailOnly.length() - 1)) : trainFailOnly.equals(name);
    }

    public boolean any() {
        return !equals(NONE);
    }

    /** The property's value that parses back to this (for a child JVM). */
    public String spec() {
        List<String> s = new ArrayList<>();
        if (harvestFailShard >= 0) s.add("harvest.fail-shard=" + harvestFailShard);
        if (harvestBatchDelayMs > 0) s.add("harvest.batch-delay-ms=" + harvestBatchDelayMs);
        if (trainFailAtStep >= 0) s.add("train.fail-at-step=" + trainFailAtStep);
        if (trainFailOnly != null) s.add("train.fail-only=" + trainFailOnly);
        if (trainStepDelayMs > 0) s.add("train.step-delay-ms=" + trainStepDelayMs);
        if (evaluateFailShard >= 0) s.add("evaluate.fail-shard=" + evaluateFailShard);
        return String.join(",", s);
    }

    @Override
    public String toString() {
        return any() ? String.format(Locale.ROOT, "injected faults (%s=%s)", PROPERTY, spec()) : "no injected faults";
    }
}
