package org.dfcspark.jobs.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/** Parquet files written and read without Spark jobs are the tables Spark writes and reads: same schema, same rows. */
class ParquetRowsTest {
    static SparkSession spark;
    static final Configuration CONF = HadoopFiles.storeConf(new Configuration());
    static final StructType SCHEMA = new StructType().add("name", DataTypes.StringType).add("n", DataTypes.IntegerType)
            .add("big", DataTypes.LongType).add("x", DataTypes.DoubleType).add("ok", DataTypes.BooleanType)
            .add("ids", DataTypes.createArrayType(DataTypes.IntegerType)).add("means", DataTypes.createArrayType(DataTypes.DoubleType));

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("ParquetRowsTest").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Every type, nulls at every place (a null array, a null element, an empty array), arrays in each form rows carry them. */
    static List<Row> rows() {
        return List.of(
                RowFactory.create("a", 1, 10L, 0.5, true, CollectionConverters.asScala(List.of(1, 2, 3)).toSeq(), List.of(0.25, -1.5)),
                RowFactory.create(null, null, null, null, null, null, null),
                RowFactory.create("ü \"quoted\"\n", -7, Long.MAX_VALUE, Double.NaN, false, new int[0], java.util.Arrays.asList(1.0, null)));
    }

    @Test
    void sparkReadsTheTableAsItWouldHaveWrittenIt() throws IOException {
        Path ours = dir.resolve("ours"), theirs = dir.resolve("theirs");
        ParquetRows.writeTable(new org.apache.hadoop.fs.Path(ours.toUri()), SCHEMA, rows(), CONF);
        spark.createDataFrame(rows(), SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(theirs.toString());
        assertTrue(Files.exists(ours.resolve("_SUCCESS")) && Files.exists(ours.resolve(ParquetRows.TABLE_FILE)));
        var read = spark.read().parquet(ours.toString());
        assertEquals(SCHEMA, read.schema());
        assertEquals(strings(spark.read().parquet(theirs.toString()).collectAsList()), strings(read.collectAsList()));
        assertEquals(List.of("[a,1,10,0.5,true,ArraySeq(1, 2, 3),ArraySeq(0.25, -1.5)]", "[null,null,null,null,null,null,null]",
                "[ü \"quoted\"\n,-7,9223372036854775807,NaN,false,ArraySeq(),ArraySeq(1.0, null)]"), strings(read.collectAsList()));
    }

    @Test
    void readsBackColumnsAloneAndWhatSparkWrote() throws IOException {
        Path theirs = dir.resolve("theirs");
        spark.createDataFrame(rows(), SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(theirs.toString());
        org.apache.hadoop.fs.Path file = HadoopFiles.list(new org.apache.hadoop.fs.Path(theirs.toUri()), CONF).stream()
                .filter(p -> p.getName().endsWith(".parquet")).findFirst().orElseThrow();
        StructType some = new StructType().add("ids", DataTypes.createArrayType(DataTypes.IntegerType)).add("name", DataTypes.StringType);
        List<Row> back = ParquetRows.read(List.of(file, file), some, CONF);
        assertEquals(6, back.size(), "file after file");
        assertEquals(List.of(1, 2, 3), back.get(0).getList(0), "arrays as Scala sequences: getList works");
        assertEquals("a", back.get(0).getAs("name"), "rows carry their schema: getAs by name works");
        assertTrue(back.get(1).isNullAt(0) && back.get(1).isNullAt(1));
        assertEquals(List.of(), back.get(2).getList(0));
    }

    @Test
    void aJsonObjectIsReadAsSparksJsonReaderReadsIt() throws IOException {
        var json = new ObjectMapper().readTree("{\"name\":\"a\",\"n\":1,\"big\":10,\"x\":0.5,\"ok\":true,\"ids\":[1,2,3],\"means\":[0.25,-1.5],\"extra\":1}");
        Row r = ParquetRows.fromJson(json, SCHEMA);
        assertEquals(List.of("a", 1, 10L, 0.5, true), List.of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)), "typed as the schema says");
        assertEquals(List.of(List.of(1, 2, 3), List.of(0.25, -1.5)), List.of(r.getList(5), r.getList(6)));
        assertTrue(ParquetRows.fromJson(new ObjectMapper().readTree("{\"name\":null}"), SCHEMA).isNullAt(0), "null and missing fields are nulls");
    }

    @Test
    void aFailedWritePublishesNothingAndABadFileIsNamed() throws IOException {
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("t/rows.parquet").toUri());
        assertThrows(IllegalStateException.class, () -> ParquetRows.write(file, SCHEMA, CONF, out -> {
            out.write(rows().get(0));
            throw new IllegalStateException("killed mid-file");
        }));
        try (var files = Files.list(dir.resolve("t"))) {
            assertEquals(List.of(), files.toList(), "neither the file nor its temporary");
        }
        IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class,
                () -> ParquetRows.write(file, SCHEMA, CONF, out -> out.write(RowFactory.create("a", 1))));
        assertTrue(wrongShape.getMessage().contains("a row of 2 values for 7 columns"), wrongShape.getMessage());
        assertFalse(Files.exists(dir.resolve("t/rows.parquet")));
        Files.writeString(dir.resolve("t/rows.parquet"), "not parquet");
        IOException bad = assertThrows(IOException.class, () -> ParquetRows.read(List.of(file), SCHEMA, CONF));
        assertTrue(bad.getMessage().contains("rows.parquet"), bad.getMessage());
    }

    private static List<String> strings(List<Row> rows) {
        return rows.stream().map(Row::toString).toList();
    }
}
