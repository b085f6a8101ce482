package org.dfcspark.jobs.prompts;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.data.PromptTableJson;
import org.dfcspark.data.QuarantinedRow;
import org.dfcspark.jobs.work.HadoopFiles;
import org.dfcspark.jobs.work.ParquetRows;

import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;

/** The prompts table and its quarantine table as Spark rows (schema: data-schemas/prompts.md), and their validator. */
public final class PromptsTable {
    private PromptsTable() {}

    public static final StructType MESSAGE = new StructType(new StructField[] {
            DataTypes.createStructField("role", DataTypes.StringType, false),
            DataTypes.createStructField("content", DataTypes.StringType, false)});

    public static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("source", DataTypes.StringType, false),
            DataTypes.createStructField("split", DataTypes.StringType, false),
            DataTypes.createStructField("category", DataTypes.StringType, false),
            DataTypes.createStructField("messages", DataTypes.createArrayType(MESSAGE, false), false),
            DataTypes.createStructField("tools", DataTypes.createArrayType(DataTypes.StringType, false), false),
            DataTypes.createStructField("gold", DataTypes.StringType, true),
            DataTypes.createStructField("gold_kind", DataTypes.StringType, false),
            DataTypes.createStructField("extras", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, false), false)});

    public static final StructType QUARANTINE_SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("source", DataTypes.StringType, false),
            DataTypes.createStructField("file", DataTypes.StringType, false),
            DataTypes.createStructField("row", DataTypes.LongType, false),
            DataTypes.createStructField("reason", DataTypes.StringType, false),
            DataTypes.createStructField("raw", DataTypes.StringType, false)});

    public static Row toRow(PromptRecord r) {
        List<Row> messages = new ArrayList<>();
        for (Message m : r.messages()) messages.add(RowFactory.create(m.role(), m.content()));
        // Spark's row encoder wants Scala collections (Seq for arrays, Map for maps). The extras in key order: a
        // record's map (Map.copyOf) iterates in an order that changes from JVM to JVM, and Parquet keeps the order, so
        // two writes of the same table differed in their rows' bytes. (parquet-mr's footer still lists each column's
        // encodings in a per-JVM order: the same rows, a few footer bytes apart.)
        return RowFactory.create(r.id(), r.source(), r.split(), r.category(), CollectionConverters.asScala(messages),
                CollectionConverters.asScala(r.tools()), r.gold(), r.goldKind(), CollectionConverters.asScala(new TreeMap<>(r.extras())));
    }

    public static PromptRecord fromRow(Row row) {
        List<Message> messages = new ArrayList<>();
        for (Row m : row.<Row>getList(row.fieldIndex("messages"))) messages.add(new Message(m.getString(0), m.getString(1)));
        Map<String, String> extras = row.getJavaMap(row.fieldIndex("extras"));
        return new PromptRecord(row.getAs("id"), row.getAs("source"), row.getAs("split"), row.getAs("category"), messages,
                row.getList(row.fieldIndex("tools")), row.getAs("gold"), row.getAs("gold_kind"), extras);
    }

    public static Row toRow(QuarantinedRow q) {
        return RowFactory.create(q.source(), q.file(), q.row(), q.reason(), q.raw());
    }

    /**
     * What is wrong with a prompts table: columns (names and types, in order), nulls in required
     * columns, each row's invariants ({@link PromptRecord#problems}), duplicate ids. At most
     * {@code limit} row problems are listed. Empty when the table is valid.
     */
    public static List<String> validate(Dataset<Row> table, int limit) {
        List<String> problems = schemaProblems(table.schema());
        if (!problems.isEmpty()) return problems;
        problems.addAll(table.javaRDD().flatMap(row -> rowProblems(row).iterator()).take(limit));
        for (Row dup : table.groupBy("id").agg(count("*").as("n")).where(col("n").gt(1)).limit(limit).collectAsList()) {
            problems.add("id " + dup.getString(0) + " appears " + dup.getLong(1) + " times");
        }
        return problems;
    }

    private static List<String> schemaProblems(StructType schema) {
        List<String> problems = new ArrayList<>();
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.equals(Arrays.asList(SCHEMA.fieldNames()))) {
            problems.add("columns " + names + ", expected " + Arrays.asList(SCHEMA.fieldNames()));
            return problems;
        }
        for (StructField f : SCHEMA.fields()) {
            StructField got = schema.apply(f.name());
            if (!sameType(got, f)) problems.add("column " + f.name() + " has type " + got.dataType().simpleString()
                    + ", expected " + f.dataType().simpleString());
        }
        return problems;
    }

    /** What is wrong with one row of a table with the right schema (empty when nothing). */
    private static List<String> rowProblems(Row row) {
        List<String> p = new ArrayList<>();
        String id = row.isNullAt(0) ? "<null id>" : row.getString(0);
        for (StructField f : SCHEMA.fields()) {
            if (!f.nullable() && row.isNullAt(row.fieldIndex(f.name()))) p.add("row " + id + ": null " + f.name());
        }
        if (p.isEmpty()) {
            for (String s : fromRow(row).problems()) p.add("row " + id + ": " + s);
        }
        return p;
    }

    /**
     * The first {@code limit} records (all when limit < 0) of a prompts table on the driver, in file order: a Parquet
     * table (file or directory; the whole table checked as {@link #validate} does) or its JSON Lines form ({@code .jsonl},
     * {@link PromptTableJson}). For prompt sets that fit in memory (evaluation sets, a demo's training prompts). The
     * Parquet table is read once and checked on the driver: {@link #validate}'s three Spark jobs per table were most of
     * an evaluation's preflight. A table of one file that Spark wrote (every shipped one) is read without a Spark job
     * ({@link ParquetRows#readSparkTable}: a job costs 0.1–0.2 s for a few hundred rows); any other with one job.
     */
    public static List<PromptRecord> readLocal(SparkSession spark, String path, int limit) throws java.io.IOException {
        if (path.endsWith(".jsonl")) return PromptTableJson.read(java.nio.file.Path.of(path), limit);
        if (!path.contains("://") && !java.nio.file.Files.exists(java.nio.file.Path.of(path))) {
            throw new IllegalArgumentException("prompts table not found: " + path);
        }
        ParquetRows.Table onDriver = ParquetRows.readSparkTable(new org.apache.hadoop.fs.Path(path),
                HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration()));
        Dataset<Row> table = onDriver != null ? null : spark.read().parquet(path);
        List<String> problems = schemaProblems(onDriver != null ? onDriver.schema() : table.schema());
        List<Row> rows = !problems.isEmpty() ? List.of() : onDriver != null ? onDriver.rows() : table.collectAsList();
        Map<String, Integer> perId = new LinkedHashMap<>();
        for (Row r : rows) {
            if (problems.size() < REPORTED) problems.addAll(rowProblems(r).stream().limit(REPORTED - problems.size()).toList());
            if (!r.isNullAt(0)) perId.merge(r.getString(0), 1, Integer::sum);
        }
        int duplicates = 0;
        for (Map.Entry<String, Integer> e : perId.entrySet()) {
            if (e.getValue() > 1 && duplicates++ < REPORTED) problems.add("id " + e.getKey() + " appears " + e.getValue() + " times");
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(path + ": not a valid prompts table: " + String.join("; ", problems));
        List<PromptRecord> out = new ArrayList<>();
        for (Row r : rows) {
            if (limit >= 0 && out.size() >= limit) break;
            out.add(fromRow(r));
        }
        return out;
    }

    /** Problems of each kind a refusal names. */
    private static final int REPORTED = 3;

    /** Types equal up to nullability (Parquet reads every column back as nullable). */
    private static boolean sameType(StructField got, StructField expected) {
        return got.dataType().simpleString().equals(expected.dataType().simpleString());
    }
}
