package org.dfcspark.jobs.harvest;

import static org.apache.parquet.schema.LogicalTypeAnnotation.stringType;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BOOLEAN;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64;

import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schema of an activation shard file (documented in data-schemas/activations.md). The layer is
 * not a column of the files: it is the {@code layer=L} directory (Hive partitioning), which Spark, pyarrow
 * and pandas turn back into a column.
 */
public final class ActivationSchema {
    private ActivationSchema() {}

    public static final String FORMAT = "dfc-activations/1";
    public static final String SAMPLE_ID = "sample_id";
    public static final String PROMPT_ID = "prompt_id";
    public static final String SOURCE = "source";
    public static final String POSITION = "position";
    public static final String TOKEN_ID = "token_id";
    public static final String IN_TOOL_CALL = "in_tool_call";
    public static final String SINK = "sink";
    public static final String A = "a";
    public static final String B = "b";
    public static final String LAYER = "layer";

    /** Footer key-value metadata written into every shard file. */
    public static final String META_FORMAT = "dfc.format";
    public static final String META_DTYPE = "dfc.dtype";
    public static final String META_D_MODEL = "dfc.d_model";
    public static final String META_LAYER = "dfc.layer";

    public static final MessageType PARQUET = Types.buildMessage()
            .required(INT64).named(SAMPLE_ID)
            .required(BINARY).as(stringType()).named(PROMPT_ID)
            .required(BINARY).as(stringType()).named(SOURCE)
            .required(INT32).named(POSITION)
            .required(INT32).named(TOKEN_ID)
            .optional(BOOLEAN).named(IN_TOOL_CALL)
            .required(BOOLEAN).named(SINK)
            .required(BINARY).named(A)
            .required(BINARY).named(B)
            .named("activation");
}
