package org.dfcspark.dfc;

import java.util.Arrays;

/**
 * Rows since each latent last fired (the reference's {@code num_tokens_since_fired}): after every batch all
 * counters grow by the batch size and the latents that fired anywhere in the batch are reset to 0. A latent is dead
 * when its counter reaches the threshold.
 */
public final class DeadLatents {
    private final long[] sinceFired;
    private final long threshold;

    public DeadLatents(int dictSize, long threshold) {
        this.sinceFired = new long[dictSize];
        this.threshold = threshold;
    }

    /** Advances by one batch of {@code rows} rows in which the latents flagged in {@code fired} fired. */
    public void update(boolean[] fired, int rows) {
        for (int j = 0; j < sinceFired.length; j++) sinceFired[j] = fired[j] ? 0 : sinceFired[j] + rows;
    }

    public boolean isDead(int j) {
        return sinceFired[j] >= threshold;
    }

    public int deadCount() {
        int n = 0;
        for (long c : sinceFired) if (c >= threshold) n++;
        return n;
    }

    public long threshold() {
        return threshold;
    }

    public long[] counters() {
        return sinceFired.clone();
    }

    /** Sets the counters (tests, resuming). */
    public void setCounters(long[] values) {
        if (values.length != sinceFired.length) throw new IllegalArgumentException("expected " + sinceFired.length + " counters");
        System.arraycopy(values, 0, sinceFired, 0, values.length);
    }

    @Override
    public String toString() {
        return "DeadLatents" + Arrays.toString(sinceFired);
    }
}
