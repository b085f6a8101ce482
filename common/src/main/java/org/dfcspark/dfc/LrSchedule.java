package org.dfcspark.dfc;

/**
 * Learning-rate factor at (0-based) step t, as the reference's {@code get_lr_schedule}: linear warm-up
 * {@code t / warmup} for t < warmup, then 1, then from {@code decayStart} a linear decay {@code (T − t)/(T − decayStart)}.
 * The paper's recipe is constant (warmup 0, no decay).
 */
public record LrSchedule(double lr, int warmup, int decayStart, int totalSteps) {
    public LrSchedule {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        if (warmup < 0) throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        if (decayStart >= 0 && (decayStart >= totalSteps || decayStart < warmup)) {
            throw new IllegalArgumentException("decay start " + decayStart + " must be in [warmup " + warmup + ", steps " + totalSteps + ")");
        }
    }

    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, 0, -1, Integer.MAX_VALUE);
    }

    public double at(long t) {
        if (t < warmup) return lr * t / warmup;
        if (decayStart >= 0 && t >= decayStart) return lr * (double) (totalSteps - t) / (totalSteps - decayStart);
        return lr;
    }
}
