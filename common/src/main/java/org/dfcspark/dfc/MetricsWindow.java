package org.dfcspark.dfc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Means of the step metrics since the last log line: one JSON line of a checkpoint's metrics.jsonl (step, lr, loss and
 * its terms, FVU per model, L0, dead and fired fractions, the largest forbidden weight, gradient norm, the run's count of
 * skipped input, the BatchTopK threshold, rows/s). Shared by the single-process and the data-parallel trainer.
 */
public final class MetricsWindow {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean[] fired;
    private final Map<String, Double> sums = new LinkedHashMap<>();
    private final int batchRows;
    private int count;
    private long since = System.nanoTime();
    private double lastNorm;
    private double lastLr;

    public MetricsWindow(int dict, int batchRows) {
        this.fired = new boolean[dict];
        this.batchRows = batchRows;
    }

    /** One step: its loss terms, its result (gradient norm, lr) and which features fired. */
    public void add(LossTerms t, CrosscoderTrainer.StepResult r, boolean[] firedNow) {
        sums.merge("loss", t.total(), Double::sum);
        t.terms().forEach((k, v) -> sums.merge(k, v, Double::sum));
        sums.merge("fvu_a", t.fvuA(), Double::sum);
        sums.merge("fvu_b", t.fvuB(), Double::sum);
        sums.merge("l0", t.l0(), Double::sum);
        for (int j = 0; j < fired.length; j++) fired[j] |= firedNow[j];
        count++;
        lastNorm = r.gradNorm();
        lastLr = r.lr();
    }

    /** The line for the steps since the last flush; {@code skippedKey}/{@code skipped}: what the run skipped so far. */
    public String flush(long step, Crosscoder cc, DeadLatents dead, String skippedKey, long skipped) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        o.put("lr", lastLr);
        for (var e : sums.entrySet()) o.put(e.getKey(), e.getValue() / count);
        int alive = 0;
        for (boolean f : fired) if (f) alive++;
        o.put("dead_frac", (double) dead.deadCount() / fired.length);
        o.put("fired_in_window_frac", (double) alive / fired.length);
        o.put("max_forbidden", cc.verifyPartition());
        o.put("grad_norm", lastNorm);
        o.put(skippedKey, skipped);
        if (cc.config().sparsityRule().learnsThreshold()) o.put("threshold", cc.config().threshold());
        double sec = (System.nanoTime() - since) / 1e9;
        o.put("rows_per_s", count * (double) batchRows / sec);
        sums.clear();
        Arrays.fill(fired, false);
        count = 0;
        since = System.nanoTime();
        return o.toString();
    }
}
