package org.dfcspark.eval;

import java.io.Serializable;
import org.dfcspark.toolcall.stats.Interval;
import org.dfcspark.toolcall.stats.PairedDifference;
import org.dfcspark.toolcall.stats.RateStats;

/**
 * One condition's row of a results table: its success rate over the prompts with a 95% Wilson interval, and its
 * paired difference from the same model's clean run on the same prompts (paired-t and bootstrap 95% intervals).
 *
 * @param vsClean null with fewer than 2 prompts (no interval exists)
 */
public record ConditionStats(String key, int n, Interval rate, PairedDifference vsClean) implements Serializable {
    /** {@code correct[i]} and {@code clean[i]} are the verdicts on prompt i under the condition and under clean. */
    public static ConditionStats of(String key, boolean[] correct, boolean[] clean, long seed) {
        if (correct.length != clean.length) throw new IllegalArgumentException(key + ": " + correct.length
                + " verdicts but " + clean.length + " clean verdicts (the difference is paired by prompt)");
        if (correct.length == 0) throw new IllegalArgumentException(key + ": no verdicts");
        PairedDifference diff = correct.length < 2 ? null : PairedDifference.of(correct, clean, PairedDifference.DEFAULT_RESAMPLES, seed);
        return new ConditionStats(key, correct.length, RateStats.wilson(correct), diff);
    }
}
