package org.dfcspark.dfc;

/**
 * The split of the D dictionary features: {@code [0, nA)} A-exclusive, {@code [nA, nA+nB)} B-exclusive,
 * {@code [nA+nB, D)} shared. A plain crosscoder is {@code nA = nB = 0}.
 *
 * <p>Internally every feature j owns one row of 2d values per weight matrix: {@code [model A (d) | model B (d)]}.
 * The part of that row a feature may use is one contiguous range, {@link #lo}..{@link #hi}: the A half for an
 * A-exclusive feature, the B half for a B-exclusive one, both for a shared one. Masking is therefore "only ever
 * touch {@code [lo, hi)}", and the forbidden range is the rest of the row.
 */
public record Partition(int dictSize, int nA, int nB) {

    public enum Kind { A_EXCLUSIVE, B_EXCLUSIVE, SHARED }

    public Partition {
        if (dictSize <= 0) throw new IllegalArgumentException("dict_size must be positive, got " + dictSize);
        if (nA < 0 || nB < 0) throw new IllegalArgumentException("n_a and n_b must be >= 0, got " + nA + ", " + nB);
        if ((long) nA + nB > dictSize) {
            throw new IllegalArgumentException("n_a + n_b = " + ((long) nA + nB) + " exceeds dict_size " + dictSize);
        }
    }

    /** The paper's rule: {@code nA = floor(D·pA)}, {@code nB = floor(D·pB)} (Python's {@code int(D * p)}). */
    public static Partition ofShares(int dictSize, double pA, double pB) {
        if (!(pA >= 0 && pA <= 1) || !(pB >= 0 && pB <= 1)) {
            throw new IllegalArgumentException("exclusive shares must be in [0, 1], got " + pA + ", " + pB);
        }
        return new Partition(dictSize, (int) Math.floor(dictSize * pA), (int) Math.floor(dictSize * pB));
    }

    public static Partition plain(int dictSize) {
        return new Partition(dictSize, 0, 0);
    }

    public int nShared() {
        return dictSize - nA - nB;
    }

    /** First shared feature. */
    public int sharedStart() {
        return nA + nB;
    }

    public Kind kind(int j) {
        if (j < nA) return Kind.A_EXCLUSIVE;
        if (j < nA + nB) return Kind.B_EXCLUSIVE;
        return Kind.SHARED;
    }

    public boolean isShared(int j) {
        return j >= nA + nB;
    }

    /** Whether model m (0 = A, 1 = B) may encode from / decode into feature j. */
    public boolean allowed(int m, int j) {
        return m == 0 ? j < nA || j >= nA + nB : j >= nA;
    }

    /** Start of the allowed range of feature j's 2d-long row (in units of one model's d). */
    public int loModel(int j) {
        return j >= nA && j < nA + nB ? 1 : 0;
    }

    /** End (exclusive) of the allowed range of feature j's row, in models. */
    public int hiModel(int j) {
        return j < nA ? 1 : 2;
    }

    /** {@link #loModel(int)} of the features [from, to) together: the start of the union of their allowed ranges. */
    public int loModel(int from, int to) {
        return from >= nA && to <= nA + nB ? 1 : 0;
    }

    /** {@link #hiModel(int)} of the features [from, to) together: the end of the union of their allowed ranges. */
    public int hiModel(int from, int to) {
        return to <= nA ? 1 : 2;
    }

    /** {@code enc_mask (2, D)} as in the paper: 1 where model m may encode into feature j. */
    public float[] encMask() {
        float[] mask = new float[2 * dictSize];
        for (int m = 0; m < 2; m++) for (int j = 0; j < dictSize; j++) mask[m * dictSize + j] = allowed(m, j) ? 1f : 0f;
        return mask;
    }

    /** {@code dec_mask (D, 2)} as in the paper: 1 where feature j may decode into model m. */
    public float[] decMask() {
        float[] mask = new float[2 * dictSize];
        for (int j = 0; j < dictSize; j++) for (int m = 0; m < 2; m++) mask[j * 2 + m] = allowed(m, j) ? 1f : 0f;
        return mask;
    }

    @Override
    public String toString() {
        return "A-exclusive " + nA + " | B-exclusive " + nB + " | shared " + nShared() + " (D = " + dictSize + ")";
    }
}
