package org.dfcspark.organism;

/**
 * Where a sample goes. TRAIN uses training phrasings and values only; VALID (checkpoint selection
 * during RL) and TEST (reported rates) use held-out phrasings and/or held-out values, and the
 * held-out generic (thing, adjective) pairs.
 */
public enum Split {
    TRAIN(0x7a11L),
    VALID(0x5e1dL),
    TEST(0x7e57L);

    /** Mixed into the build seed so the three streams never share random numbers. */
    final long salt;

    Split(long salt) {
        this.salt = salt;
    }

    public boolean heldOut() {
        return this != TRAIN;
    }

    public String tableName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
