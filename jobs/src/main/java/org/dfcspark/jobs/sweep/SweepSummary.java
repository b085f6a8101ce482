package org.dfcspark.jobs.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.dfc.sweep.VariantMetrics;
import org.dfcspark.io.AtomicOutput;

/**
 * {@code OUT/summary.parquet} and {@code OUT/summary.csv}: one row per variant × hook (data-schemas/sweep.md): the
 * name and hook, every grid axis as a typed column (training keys) and every label as a string, then what its done
 * marker says: status, steps, the metrics of {@link VariantMetrics}, rows/s and wall time.
 */
final class SweepSummary {
    private static final String[] METRICS = {"fvu_a", "fvu_b", "l0", "dead_share", "max_forbidden"};

    private SweepSummary() {}

    /** A decomposition part as a column suffix: "decoder bias" → decoder_bias, "A-exclusive" → a_exclusive. */
    static String column(String part) {
        return part.toLowerCase(Locale.ROOT).replace(' ', '_').replace('-', '_');
    }

    static StructType schema(SweepGrid grid, List<Variant> variants) {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("name", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("hook", DataTypes.StringType, false));
        for (String key : grid.axisKeys()) f.add(DataTypes.createStructField(key, typeOf(variants.get(0).config().toMap().get(key)), true));
        for (String label : grid.labelKeys()) f.add(DataTypes.createStructField(label, DataTypes.StringType, true));
        f.add(DataTypes.createStructField("status", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("reason", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("steps", DataTypes.LongType, true));
        for (String m : METRICS) f.add(DataTypes.createStructField(m, DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("exclusive_ok", DataTypes.BooleanType, true));
        f.add(DataTypes.createStructField("diff_norm", DataTypes.DoubleType, true));
        for (String p : VariantMetrics.PARTS) f.add(DataTypes.createStructField("share_" + column(p), DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("rows_per_s", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("wall_s", DataTypes.DoubleType, true));
        f.add(DataTypes.createStructField("checkpoint", DataTypes.StringType, true));
        return DataTypes.createStructType(f);
    }

    private static DataType typeOf(Object v) {
        if (v instanceof Integer) return DataTypes.IntegerType;
        if (v instanceof Long) return DataTypes.LongType;
        if (v instanceof Double || v instanceof Float) return DataTypes.DoubleType;
        if (v instanceof Boolean) return DataTypes.BooleanType;
        return DataTypes.StringType;
    }

    /** A variant's row from its marker (done or failed; null: it never ran, status pending). */
    static Row row(SweepGrid grid, Variant v, JsonNode marker) {
        List<Object> r = new ArrayList<>();
        r.add(v.name());
        r.add(v.hook());
        for (String key : grid.axisKeys()) r.add(v.config().toMap().get(key));
        for (String label : grid.labelKeys()) r.add(v.labels().get(label));
        r.add(marker == null ? "pending" : marker.get("status").asText());
        r.add(marker == null || marker.path("reason").isNull() ? null : marker.get("reason").asText());
        r.add(marker == null ? null : marker.get("steps").asLong());
        JsonNode m = marker == null ? null : marker.get("metrics");
        for (String k : METRICS) r.add(m == null ? null : m.get(k).asDouble());
        r.add(m == null ? null : m.get("exclusive_ok").asBoolean());
        r.add(m == null ? null : m.get("diff_norm").asDouble());
        for (String p : VariantMetrics.PARTS) r.add(m == null ? null : m.get("share_" + column(p)).asDouble());
        r.add(marker == null ? null : marker.get("rows_per_s").asDouble());
        r.add(marker == null ? null : marker.get("wall_s").asDouble());
        r.add(marker == null ? null : marker.get("checkpoint").asText());
        return RowFactory.create(r.toArray());
    }

    static void write(SparkSession spark, StructType schema, List<Row> rows, Path out) throws IOException {
        spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(out.resolve("summary.parquet").toString());
        StringBuilder csv = new StringBuilder(String.join(",", schema.fieldNames())).append('\n');
        for (Row r : rows) {
            for (int i = 0; i < r.length(); i++) {
                if (i > 0) csv.append(',');
                csv.append(csvField(r.get(i)));
            }
            csv.append('\n');
        }
        AtomicOutput.writeFile(out.resolve("summary.csv"), tmp -> Files.writeString(tmp, csv, StandardCharsets.UTF_8));
    }

    private static String csvField(Object v) {
        if (v == null) return "";
        String s = v.toString();
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
