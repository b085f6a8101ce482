package org.dfcspark.jobs.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import java.io.IOException;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.jobs.harvest.ActivationSchema;
import org.dfcspark.jobs.harvest.StoreLayout;
import org.dfcspark.jobs.train.StoreLayerIndex;

/**
 * One layer of a harvest store as a Spark ML dataset: {@code sample_id}, {@code prompt_id}, {@code position}, and the
 * two models' vectors {@code a} and {@code b} as dense ML vectors (decoded from the store's blobs; the columns carry ML
 * attribute metadata with their size d, so estimators can check sizes from the schema alone). Sink-flagged rows are
 * left out, as training and the store's statistics leave them out.
 */
public final class DfcData {
    private DfcData() {}

    /**
     * Reads {@code activations/layer=L} of {@code store} with Spark's Parquet reader, {@code hook} being
     * {@code blocks.L.hook_resid_post}. Refuses a store without a manifest or without that hook, at once on the driver.
     */
    public static Dataset<Row> read(SparkSession spark, String store, String hook) throws IOException {
        StoreLayerIndex index = StoreLayerIndex.open(store, hook); // validates the manifest, the hook and the row counts
        int d = index.dModel();
        UserDefinedFunction decode = functions.udf(new Decode(index.codec(), d), SQLDataTypes.VectorType());
        String dir = new StoreLayout(store).activationLayer(index.layer()).toString();
        return spark.read().parquet(dir)
                .filter(not(col(ActivationSchema.SINK)))
                .select(col(ActivationSchema.SAMPLE_ID), col(ActivationSchema.PROMPT_ID), col(ActivationSchema.POSITION),
                        vector(decode, ActivationSchema.A, d), vector(decode, ActivationSchema.B, d));
    }

    private static Column vector(UserDefinedFunction decode, String column, int d) {
        return decode.apply(col(column)).as(column, new AttributeGroup(column, d).toMetadata());
    }

    /** A blob of d little-endian values → a dense vector. */
    private record Decode(ActivationCodec codec, int d) implements UDF1<byte[], Vector> {
        @Override
        public Vector call(byte[] blob) {
            float[] v = codec.decode(blob, d);
            double[] out = new double[d];
            for (int i = 0; i < d; i++) out[i] = v[i];
            return Vectors.dense(out);
        }
    }
}
