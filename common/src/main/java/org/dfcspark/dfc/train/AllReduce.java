package org.dfcspark.dfc.train;

/**
 * A collective over the replicas of one training run: after {@code sum(v)} every replica holds the element-wise sum of
 * all replicas' {@code v} (bit-identical on every replica). One small interface so the transport can change (TCP ring
 * on CPUs, NCCL on GPUs) without touching the training loop.
 */
public interface AllReduce {
    int rank();

    int size();

    /** In place: v ← Σ_replicas v. */
    void sum(float[] v);

    /**
     * In place, each array: v ← Σ_replicas v, as {@link #sum(float[])} on each in turn; a transport may send them as one
     * message (a step's gradients: one round trip instead of one per array).
     */
    default void sum(float[][] arrays) {
        for (float[] v : arrays) sum(v);
    }

    /** In place: v ← max over replicas, element-wise. */
    void max(float[] v);

    /** In place: v ← min over replicas, element-wise. */
    void min(float[] v);

    /** Bytes this replica has handed to the collective so far (for the benchmark's per-step figure). */
    long bytesReduced();

    /** One process, no communication. */
    static AllReduce single() {
        return new AllReduce() {
            public int rank() {
                return 0;
            }

            public int size() {
                return 1;
            }

            public void sum(float[] v) {}

            public void max(float[] v) {}

            public void min(float[] v) {}

            public long bytesReduced() {
                return 0;
            }
        };
    }
}
