package org.dfcspark.dfc;

/** Code version recorded in checkpoints' training provenance. */
public final class Version {
    /** Bump when the checkpoint format or training semantics change. */
    public static final String CODE = "dfc-spark 0.1.0 (crosscoder format 1)";

    private Version() {}
}
