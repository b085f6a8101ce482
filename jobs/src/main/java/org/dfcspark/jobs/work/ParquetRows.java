package org.dfcspark.jobs.work;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Rows of a flat Spark schema (string, int, long, double and boolean columns, and arrays of them) as Parquet files
 * written and read inside one JVM, without a Spark job: a work item's rows inside its task, and the tables small enough
 * for the driver. A Spark job costs 0.1–0.2 s of scheduling and committing however few its rows are, which on a short
 * evaluation was a fifth of the whole run. Spark reads these files as the tables it would have written itself: standard
 * three-level lists, and the footer carries the Spark schema under the key Spark's own writer uses.
 */
public final class ParquetRows {
    /** The footer key under which Spark's Parquet writer records a table's Spark schema (JSON). */
    static final String SPARK_SCHEMA = "org.apache.spark.sql.parquet.row.metadata";
    /** The one data file of a table written by {@link #writeTable}. */
    public static final String TABLE_FILE = "part-00000.snappy.parquet";

    private ParquetRows() {}

    /** The Parquet message type Spark writes for {@code schema} (every column optional). */
    public static MessageType parquetType(StructType schema) {
        Types.MessageTypeBuilder m = Types.buildMessage();
        for (StructField f : schema.fields()) {
            if (f.dataType() instanceof ArrayType a) {
                m.addField(Types.optionalList().element(primitive(a.elementType(), f.name()).named("element")).named(f.name()));
            } else {
                m.addField(primitiveField(f.dataType(), f.name()));
            }
        }
        return m.named("spark_schema");
    }

    /** What writes a file's rows, one at a time. */
    @FunctionalInterface
    public interface Content {
        void writeTo(RowSink out) throws IOException;
    }

    /** Where {@link Content} puts its rows (values by position, in the schema's order). */
    @FunctionalInterface
    public interface RowSink {
        void write(Row r) throws IOException;
    }

    /**
     * Lets {@code content} write the rows of {@code file} to a hidden temporary file, published by rename as {@code file}
     * (replacing it) when content returns; when it throws, the temporary file is deleted and nothing is published.
     */
    public static void write(Path file, StructType schema, Configuration conf, Content content) throws IOException {
        FileSystem fs = HadoopFiles.fs(file, conf);
        fs.mkdirs(file.getParent());
        Path tmp = HadoopFiles.tempFor(file, "w");
        MessageType type = parquetType(schema);
        SimpleGroupFactory groups = new SimpleGroupFactory(type);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(tmp, conf)).withType(type).withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).withCompressionCodec(CompressionCodecName.SNAPPY)
                .withExtraMetaData(Map.of(SPARK_SCHEMA, schema.json())).build()) {
            content.writeTo(r -> w.write(group(groups.newGroup(), schema, r)));
        } catch (IOException | RuntimeException e) {
            fs.delete(tmp, false);
            throw e;
        }
        HadoopFiles.publish(tmp, file, true, conf);
    }

    /** Replaces the table at {@code dir} with {@code rows}: one data file and Spark's {@code _SUCCESS} marker. */
    public static void writeTable(Path dir, StructType schema, List<Row> rows, Configuration conf) throws IOException {
        FileSystem fs = HadoopFiles.fs(dir, conf);
        fs.delete(dir, true);
        write(new Path(dir, TABLE_FILE), schema, conf, out -> {
            for (Row r : rows) out.write(r);
        });
        fs.create(new Path(dir, "_SUCCESS"), true).close();
    }

    /**
     * The rows of {@code files}, file after file, with the columns of {@code columns} (a subset of the files' columns,
     * read alone); arrays come back as Scala sequences, as in the rows Spark collects, so {@link Row#getList} works.
     */
    public static List<Row> read(List<Path> files, StructType columns, Configuration conf) throws IOException {
        Configuration c = new Configuration(conf);
        c.set(GroupReadSupport.PARQUET_READ_SCHEMA, parquetType(columns).toString());
        List<Row> out = new ArrayList<>();
        for (Path file : files) {
            try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(c).build()) {
                for (Group g = r.read(); g != null; g = r.read()) out.add(struct(g, columns));
            } catch (RuntimeException e) {
                throw new IOException(file + ": not a table with the columns " + Arrays.toString(columns.fieldNames()) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** A table read whole on the driver: its Spark schema and its rows. */
    public record Table(StructType schema, List<Row> rows) {}

    /**
     * The whole table at {@code path} on the driver, when it is one Parquet file (or a directory holding one) that
     * Spark wrote: its footer carries the Spark schema, and its nested columns (structs, arrays, maps, at any depth) are
     * in Spark's standard layout. Null otherwise (several files, whose order Spark's reader decides by size; another
     * writer; Spark's legacy layout): the caller reads it with Spark. Rows in file order, nested values as Spark
     * collects them: structs as rows, arrays as Scala sequences, maps as Scala maps.
     */
    public static Table readSparkTable(Path path, Configuration conf) throws IOException {
        FileSystem fs = HadoopFiles.fs(path, conf);
        List<Path> files = fs.getFileStatus(path).isDirectory() ? HadoopFiles.list(path, conf) : List.of(path);
        if (files.size() != 1) return null;
        Path file = files.get(0);
        StructType schema;
        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            String json = footer.getFooter().getFileMetaData().getKeyValueMetaData().get(SPARK_SCHEMA);
            if (json == null || !(DataType.fromJson(json) instanceof StructType st)) return null;
            schema = st;
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a Parquet file: " + e.getMessage(), e);
        }
        List<Row> rows = new ArrayList<>();
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
            for (Group g = r.read(); g != null; g = r.read()) rows.add(struct(g, schema));
        } catch (UnsupportedLayout e) {
            return null;
        }
        return new Table(schema, rows);
    }

    /** A column laid out otherwise than Spark's standard writer lays it out. */
    private static final class UnsupportedLayout extends RuntimeException {
        UnsupportedLayout(String what) {
            super(what, null, false, false);
        }
    }

    private static Row struct(Group g, StructType st) {
        Object[] v = new Object[st.size()];
        for (int i = 0; i < v.length; i++) {
            StructField f = st.fields()[i];
            if (!g.getType().containsField(f.name())) throw new UnsupportedLayout("no field " + f.name());
            if (g.getFieldRepetitionCount(f.name()) > 0) v[i] = nested(g, f.name(), f.dataType());
        }
        return new GenericRowWithSchema(v, st);
    }

    /** The value of {@code g}'s field {@code name} (present) as Spark collects a value of type {@code t}. */
    private static Object nested(Group g, String name, DataType t) {
        if (t instanceof StructType st) return struct(g.getGroup(name, 0), st);
        if (t instanceof ArrayType a) {
            Group list = g.getGroup(name, 0);
            if (!list.getType().containsField("list")) throw new UnsupportedLayout(name + ": not a three-level list");
            int n = list.getFieldRepetitionCount("list");
            List<Object> items = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                Group element = list.getGroup("list", k);
                items.add(element.getFieldRepetitionCount("element") == 0 ? null : nested(element, "element", a.elementType()));
            }
            return CollectionConverters.asScala(items).toSeq();
        }
        if (t instanceof MapType m) {
            Group map = g.getGroup(name, 0);
            if (!map.getType().containsField("key_value")) throw new UnsupportedLayout(name + ": not a key_value map");
            java.util.LinkedHashMap<Object, Object> out = new java.util.LinkedHashMap<>();
            for (int k = 0; k < map.getFieldRepetitionCount("key_value"); k++) {
                Group kv = map.getGroup("key_value", k);
                out.put(nested(kv, "key", m.keyType()), kv.getFieldRepetitionCount("value") == 0 ? null : nested(kv, "value", m.valueType()));
            }
            return CollectionConverters.asScala(out);
        }
        try {
            return value(g, name, t);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedLayout(e.getMessage());
        }
    }

    /** A JSON object's fields as a row of {@code schema}, read as Spark's JSON reader reads them with that schema. */
    public static Row fromJson(JsonNode n, StructType schema) {
        Object[] v = new Object[schema.size()];
        for (int i = 0; i < v.length; i++) {
            StructField f = schema.fields()[i];
            JsonNode x = n.get(f.name());
            if (x == null || x.isNull()) continue;
            if (f.dataType() instanceof ArrayType a) {
                List<Object> items = new ArrayList<>();
                for (JsonNode e : x) items.add(e.isNull() ? null : scalar(e, a.elementType()));
                v[i] = CollectionConverters.asScala(items).toSeq();
            } else {
                v[i] = scalar(x, f.dataType());
            }
        }
        return new GenericRowWithSchema(v, schema);
    }

    private static Object scalar(JsonNode x, DataType t) {
        if (t.equals(DataTypes.StringType)) return x.asText();
        if (t.equals(DataTypes.IntegerType)) return x.asInt();
        if (t.equals(DataTypes.LongType)) return x.asLong();
        if (t.equals(DataTypes.DoubleType)) return x.asDouble();
        if (t.equals(DataTypes.BooleanType)) return x.asBoolean();
        throw new IllegalArgumentException("unsupported column type " + t.simpleString());
    }

    private static Group group(Group g, StructType schema, Row r) {
        if (r.length() != schema.size()) throw new IllegalArgumentException("a row of " + r.length() + " values for " + schema.size() + " columns");
        for (int i = 0; i < schema.size(); i++) {
            if (r.isNullAt(i)) continue;
            StructField f = schema.fields()[i];
            if (f.dataType() instanceof ArrayType a) {
                Group list = g.addGroup(f.name());
                for (Object e : elements(r.get(i), f.name())) {
                    Group element = list.addGroup("list");
                    if (e != null) add(element, "element", a.elementType(), e);
                }
            } else {
                add(g, f.name(), f.dataType(), r.get(i));
            }
        }
        return g;
    }

    private static void add(Group g, String name, DataType t, Object v) {
        if (t.equals(DataTypes.StringType)) g.add(name, (String) v);
        else if (t.equals(DataTypes.IntegerType)) g.add(name, ((Number) v).intValue());
        else if (t.equals(DataTypes.LongType)) g.add(name, ((Number) v).longValue());
        else if (t.equals(DataTypes.DoubleType)) g.add(name, ((Number) v).doubleValue());
        else if (t.equals(DataTypes.BooleanType)) g.add(name, (Boolean) v);
        else throw new IllegalArgumentException("column " + name + ": unsupported type " + t.simpleString());
    }

    /** An array value as Spark rows carry one: a Scala sequence, a Java collection or a Java array. */
    private static Iterable<?> elements(Object v, String column) {
        if (v instanceof scala.collection.Iterable<?> s) return CollectionConverters.asJava(s);
        if (v instanceof Iterable<?> i) return i;
        if (v instanceof int[] a) return Arrays.stream(a).boxed().toList();
        if (v instanceof double[] a) return Arrays.stream(a).boxed().toList();
        if (v instanceof Object[] a) return Arrays.asList(a);
        throw new IllegalArgumentException("column " + column + ": " + v.getClass().getName() + " is not an array");
    }

    private static Object value(Group g, String name, DataType t) {
        if (t.equals(DataTypes.StringType)) return g.getString(name, 0);
        if (t.equals(DataTypes.IntegerType)) return g.getInteger(name, 0);
        if (t.equals(DataTypes.LongType)) return g.getLong(name, 0);
        if (t.equals(DataTypes.DoubleType)) return g.getDouble(name, 0);
        if (t.equals(DataTypes.BooleanType)) return g.getBoolean(name, 0);
        throw new IllegalArgumentException("column " + name + ": unsupported type " + t.simpleString());
    }

    private static Type primitiveField(DataType t, String name) {
        return primitive(t, name).named(name);
    }

    private static Types.PrimitiveBuilder<org.apache.parquet.schema.PrimitiveType> primitive(DataType t, String column) {
        if (t.equals(DataTypes.StringType)) return Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType());
        if (t.equals(DataTypes.IntegerType)) return Types.optional(PrimitiveTypeName.INT32);
        if (t.equals(DataTypes.LongType)) return Types.optional(PrimitiveTypeName.INT64);
        if (t.equals(DataTypes.DoubleType)) return Types.optional(PrimitiveTypeName.DOUBLE);
        if (t.equals(DataTypes.BooleanType)) return Types.optional(PrimitiveTypeName.BOOLEAN);
        throw new IllegalArgumentException("column " + column + ": unsupported type " + t.simpleString());
    }
}
