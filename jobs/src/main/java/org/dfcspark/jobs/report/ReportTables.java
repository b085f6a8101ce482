package org.dfcspark.jobs.report;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The report's own tables (data-schemas/report.md): what it computed with the models, written as Parquet beside the
 * HTML file so the notebooks draw the same figures. {@code feature_activations}, {@code feature_contexts},
 * {@code decoder}, {@code decomposition}.
 */
final class ReportTables {
    static final StructType ACTIVATIONS = schema("evaluation", StringType, "protocol", StringType, "crosscoder", StringType, "hook", StringType, "feature", IntegerType,
            "partition", StringType, "prompt_set", StringType, "prompt_index", IntegerType, "activation", DoubleType);
    static final StructType CONTEXTS = schema("evaluation", StringType, "protocol", StringType, "crosscoder", StringType, "hook", StringType, "feature", IntegerType,
            "partition", StringType, "rank", IntegerType, "prompt_id", StringType, "prompt_set", StringType, "position", IntegerType,
            "activation", DoubleType, "tokens", createArrayType(StringType), "token_activations", createArrayType(DoubleType), "center", IntegerType);
    static final StructType DECODER = schema("crosscoder", StringType, "feature", IntegerType, "partition", StringType, "norm_a", DoubleType,
            "norm_b", DoubleType, "rel_norm_a", DoubleType, "cosine", DoubleType);
    static final StructType DECOMPOSITION = schema("evaluation", StringType, "protocol", StringType, "crosscoder", StringType, "hook", StringType, "part", StringType,
            "norm", DoubleType, "carried", DoubleType, "share", DoubleType, "rows", IntegerType);

    /** The parts of the decomposition, in the order they are drawn; they add up to the data's mean difference. */
    static final List<String> PARTS = List.of("normalization", "decoder bias", "shared", "A-exclusive", "B-exclusive", "error");

    private ReportTables() {}

    /**
     * Writes the four tables. Rows are handed to Spark in chunks of at most {@link #CHUNK_ROWS} (appended to the
     * table), so the driver never holds a whole sweep's rows: the activations table has a row per shown feature and
     * ranking prompt, 59 M rows for the organism study's 384 crosscoders, and one list of them filled an 8 GB heap.
     */
    static void write(SparkSession spark, List<TargetEvidence> evidence, Path dir) {
        TableWriter acts = new TableWriter(spark, ACTIVATIONS, dir.resolve("feature_activations"));
        TableWriter contexts = new TableWriter(spark, CONTEXTS, dir.resolve("feature_contexts"));
        TableWriter decoder = new TableWriter(spark, DECODER, dir.resolve("decoder"));
        TableWriter decomposition = new TableWriter(spark, DECOMPOSITION, dir.resolve("decomposition"));
        java.util.Set<String> decoderDone = new java.util.HashSet<>();
        for (TargetEvidence e : evidence) {
            String cc = e.target().crosscoder(), hook = e.target().hook();
            for (ShownFeature f : e.features()) {
                addActivations(acts, e, f, "tool", e.onTool());
                addActivations(acts, e, f, "generic", e.onGeneric());
                int rank = 0;
                for (TargetEvidence.Context c : e.contexts().getOrDefault(f.feature(), List.of())) {
                    contexts.add(RowFactory.create(e.evaluation().name(), e.protocol(), cc, hook, f.feature(), f.partition(), ++rank, c.promptId(), c.promptSet(), c.position(),
                            c.activation(), c.tokens(), Arrays.stream(c.activations()).boxed().toList(), c.center()));
                }
            }
            if (decoderDone.add(cc)) {
                for (TargetEvidence.Latent l : e.decoder()) {
                    decoder.add(RowFactory.create(cc, l.feature(), l.partition(), l.normA(), l.normB(), nullIfNaN(l.relNormA()), nullIfNaN(l.cosine())));
                }
            }
            var m = e.meanDiff();
            for (String p : PARTS) {
                decomposition.add(RowFactory.create(e.evaluation().name(), e.protocol(), cc, hook, p, m.norm(p), m.carried(p), m.dataNorm() == 0 ? null : m.carried(p) / m.dataNorm(), m.rows()));
            }
        }
        for (TableWriter w : List.of(acts, contexts, decoder, decomposition)) w.finish();
    }

    static final int CHUNK_ROWS = 200_000;

    /** One table, written chunk by chunk: the first chunk replaces what was there, the others are appended. */
    private static final class TableWriter {
        private final SparkSession spark;
        private final StructType schema;
        private final Path dir;
        private List<Row> rows = new ArrayList<>();
        private boolean written;

        TableWriter(SparkSession spark, StructType schema, Path dir) {
            this.spark = spark;
            this.schema = schema;
            this.dir = dir;
        }

        void add(Row row) {
            rows.add(row);
            if (rows.size() >= CHUNK_ROWS) flush();
        }

        /** The last chunk; a table with no rows is still written (empty, with its schema). */
        void finish() {
            if (!rows.isEmpty() || !written) flush();
        }

        private void flush() {
            spark.createDataFrame(rows, schema).coalesce(1).write().mode(written ? SaveMode.Append : SaveMode.Overwrite).parquet(dir.toString());
            written = true;
            rows = new ArrayList<>();
        }
    }

    private static void addActivations(TableWriter rows, TargetEvidence e, ShownFeature f, String set, Map<Integer, double[]> values) {
        double[] v = values.get(f.feature());
        for (int i = 0; i < v.length; i++) {
            rows.add(RowFactory.create(e.evaluation().name(), e.protocol(), e.target().crosscoder(), e.target().hook(), f.feature(), f.partition(), set, i, v[i]));
        }
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static StructType schema(Object... nameType) {
        List<StructField> fields = new ArrayList<>();
        for (int i = 0; i < nameType.length; i += 2) {
            fields.add(DataTypes.createStructField((String) nameType[i], (org.apache.spark.sql.types.DataType) nameType[i + 1], true));
        }
        return DataTypes.createStructType(fields);
    }
}
