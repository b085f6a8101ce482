package org.dfcspark.organism;

/**
 * Where a sample goes.
 * <ul>
 *   <li>TRAIN: training phrasings and values, in argument combinations outside the held-out bucket.</li>
 *   <li>VALID (checkpoint selection during RL) and TEST (the reported rates): requests never seen in
 *       training, namely training phrasings and values in held-out argument combinations (a fixed 10%
 *       of each tool's combinations, {@link World#heldOutCombination}).</li>
 *   <li>NOVEL (generalisation, reported beside TEST): the tool's held-out phrasing, held-out values
 *       (never a tool argument in training), or both.</li>
 * </ul>
 * Generic chats of VALID, TEST and NOVEL use the held-out (thing, adjective) pairs.
 */
public enum Split {
    TRAIN(0x7a11L),
    VALID(0x5e1dL),
    TEST(0x7e57L),
    NOVEL(0x70e1L);

    /** Mixed into the build seed so the streams never share random numbers. */
    final long salt;

    Split(long salt) {
        this.salt = salt;
    }

    /** Not a training split (held-out generic pairs). */
    public boolean heldOut() {
        return this != TRAIN;
    }

    public String tableName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
