package org.dfcspark.jobs.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.CrosscoderSnapshot;
import org.dfcspark.dfc.SparseCodes;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * A trained crosscoder as a Spark ML transformer: {@code transform} adds its codes of each row's {@code [a | b]} as a
 * sparse vector of size D ({@code outputCol}, default {@code features}) and, with {@code reconstructions}, the
 * reconstructions {@code reconstruction_a} and {@code reconstruction_b} (raw scale). Saved as Spark ML metadata plus the
 * crosscoder's checkpoint directory under {@code path/crosscoder/}, so {@code PipelineModel.load} restores it and
 * {@code bin/dfc} tools can read the checkpoint directly.
 */
public final class DfcModel extends Model<DfcModel> implements MLWritable {
    public static final String DEFAULT_OUTPUT_COL = "features";
    public static final String RECONSTRUCTION_A = "reconstruction_a";
    public static final String RECONSTRUCTION_B = "reconstruction_b";
    static final String CHECKPOINT_DIR = "crosscoder";
    /** Rows encoded together (one BatchStep call). */
    private static final int CHUNK_ROWS = 256;

    private final String uid;
    private final CrosscoderSnapshot crosscoder;
    private final Param<String> inputColA;
    private final Param<String> inputColB;
    private final Param<String> outputCol;
    private final BooleanParam reconstructions;

    public DfcModel(String uid, CrosscoderSnapshot crosscoder) {
        this.uid = uid;
        this.crosscoder = crosscoder;
        inputColA = new Param<>(uid, "inputColA", "column of model A's activation vectors");
        inputColB = new Param<>(uid, "inputColB", "column of model B's activation vectors");
        outputCol = new Param<>(uid, "outputCol", "column for the codes (a sparse vector of size dict_size)");
        reconstructions = new BooleanParam(uid, "reconstructions", "also add reconstruction_a and reconstruction_b");
        setDefault(inputColA, "a");
        setDefault(inputColB, "b");
        setDefault(outputCol, DEFAULT_OUTPUT_COL);
        setDefault(reconstructions, (Object) false);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** A copy of the trained crosscoder. */
    public Crosscoder crosscoder() {
        return crosscoder.toCrosscoder();
    }

    public int activationDim() {
        return crosscoder.config().activationDim();
    }

    public int dictSize() {
        return crosscoder.config().dictSize();
    }

    // ---- schema ----

    /**
     * Refuses a schema without the two vector columns, with columns of other types, or with vectors whose sizes (known
     * from ML attribute metadata, as {@link DfcData} writes it) differ from each other or from {@code d} (when d ≥ 0).
     */
    static void checkInputs(StructType schema, String colA, String colB, int d) {
        List<String> names = Arrays.asList(schema.fieldNames());
        int sizeA = -1;
        for (String c : List.of(colA, colB)) {
            if (!names.contains(c)) throw new IllegalArgumentException("input column '" + c + "' not found (columns: " + names + ")");
            StructField f = schema.apply(c);
            if (!(f.dataType() instanceof VectorUDT)) {
                throw new IllegalArgumentException("input column '" + c + "' must hold ML vectors, it holds " + f.dataType().simpleString());
            }
            int size = AttributeGroup.fromStructField(f).size();
            if (size < 0) continue;
            if (d >= 0 && size != d) {
                throw new IllegalArgumentException("input column '" + c + "' holds vectors of size " + size + ", the crosscoder's activation dim is " + d);
            }
            if (c.equals(colA)) sizeA = size;
            else if (sizeA >= 0 && size != sizeA) {
                throw new IllegalArgumentException("input columns '" + colA + "' and '" + colB + "' hold vectors of different sizes (" + sizeA + " and " + size + ")");
            }
        }
    }

    /** The schema with the output columns added; refuses names already taken. {@code dict} < 0: size unknown. */
    static StructType withOutputs(StructType schema, String outputCol, int dict, boolean reconstructions) {
        List<String> added = new ArrayList<>(List.of(outputCol));
        if (reconstructions) added.addAll(List.of(RECONSTRUCTION_A, RECONSTRUCTION_B));
        StructType out = schema;
        for (String c : added) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) throw new IllegalArgumentException("output column '" + c + "' already exists");
            out = out.add(c.equals(outputCol) && dict >= 0 ? new AttributeGroup(c, dict).toStructField() : new StructField(c, SQLDataTypes.VectorType(), false,
                    org.apache.spark.sql.types.Metadata.empty()));
        }
        return out;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        checkInputs(schema, getInputColA(), getInputColB(), activationDim());
        return withOutputs(schema, getOutputCol(), dictSize(), getReconstructions());
    }

    // ---- transform ----

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        SparkSession spark = dataset.sparkSession();
        Broadcast<CrosscoderSnapshot> shared = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(crosscoder);
        StructType in = dataset.schema();
        Encode encode = new Encode(shared, in.fieldIndex(getInputColA()), in.fieldIndex(getInputColB()), getReconstructions());
        JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(encode);
        return spark.createDataFrame(rows, out);
    }

    /** Per partition: the crosscoder rebuilt once from the broadcast, rows encoded in chunks. */
    private record Encode(Broadcast<CrosscoderSnapshot> shared, int colA, int colB, boolean reconstructions)
            implements FlatMapFunction<Iterator<Row>, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Crosscoder cc = shared.value().toCrosscoder();
            BatchStep step = new BatchStep(cc, 1);
            int d = cc.activationDim(), w = 2 * d;
            return new Iterator<>() {
                private final List<Row> done = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < done.size()) return true;
                    done.clear();
                    next = 0;
                    List<Row> chunk = new ArrayList<>();
                    while (chunk.size() < CHUNK_ROWS && rows.hasNext()) chunk.add(rows.next());
                    if (chunk.isEmpty()) return false;
                    float[] raw = new float[chunk.size() * w];
                    for (int r = 0; r < chunk.size(); r++) {
                        copy(chunk.get(r).getAs(colA), raw, r * w, d);
                        copy(chunk.get(r).getAs(colB), raw, r * w + d, d);
                    }
                    BatchStep.Encoded e = step.encode(raw, chunk.size());
                    for (int r = 0; r < chunk.size(); r++) done.add(output(chunk.get(r), e, r, d));
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) throw new java.util.NoSuchElementException();
                    return done.get(next++);
                }
            };
        }

        private static void copy(Vector v, float[] raw, int at, int d) {
            if (v == null || v.size() != d) {
                throw new IllegalArgumentException("an input vector has " + (v == null ? "no value" : v.size() + " values") + ", the crosscoder's activation dim is " + d);
            }
            for (int i = 0; i < d; i++) raw[at + i] = (float) v.apply(i);
        }

        private Row output(Row in, BatchStep.Encoded e, int r, int d) {
            int extra = reconstructions ? 3 : 1;
            Object[] values = new Object[in.length() + extra];
            for (int i = 0; i < in.length(); i++) values[i] = in.get(i);
            values[in.length()] = codes(e.features(), r);
            if (reconstructions) {
                float[] x = e.reconstruction();
                values[in.length() + 1] = dense(x, r * 2 * d, d);
                values[in.length() + 2] = dense(x, r * 2 * d + d, d);
            }
            return RowFactory.create(values);
        }

        /** Row r's nonzero codes, indices ascending (as a SparseVector requires). */
        private static Vector codes(SparseCodes c, int r) {
            int n = c.count(r);
            long[] packed = new long[n];
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (c.value(r, i) != 0f) packed[kept++] = (long) c.feature(r, i) << 32 | i;
            }
            Arrays.sort(packed, 0, kept);
            int[] idx = new int[kept];
            double[] val = new double[kept];
            for (int i = 0; i < kept; i++) {
                idx[i] = (int) (packed[i] >>> 32);
                val[i] = c.value(r, (int) packed[i]);
            }
            return Vectors.sparse(c.dictSize(), idx, val);
        }

        private static Vector dense(float[] x, int from, int d) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) v[i] = x[from + i];
            return Vectors.dense(v);
        }
    }

    // ---- params ----

    @Override
    public DfcModel copy(ParamMap extra) {
        return copyValues(new DfcModel(uid, crosscoder), extra).setParent(parent());
    }

    public Param<String> inputColA() {
        return inputColA;
    }

    public String getInputColA() {
        return getOrDefault(inputColA);
    }

    public DfcModel setInputColA(String value) {
        return (DfcModel) set(inputColA, value);
    }

    public Param<String> inputColB() {
        return inputColB;
    }

    public String getInputColB() {
        return getOrDefault(inputColB);
    }

    public DfcModel setInputColB(String value) {
        return (DfcModel) set(inputColB, value);
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    public DfcModel setOutputCol(String value) {
        return (DfcModel) set(outputCol, value);
    }

    public BooleanParam reconstructions() {
        return reconstructions;
    }

    public boolean getReconstructions() {
        return (Boolean) getOrDefault(reconstructions);
    }

    public DfcModel setReconstructions(boolean value) {
        return (DfcModel) set(reconstructions, value);
    }

    // ---- saving and loading ----

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<DfcModel> read() {
        return new Reader();
    }

    public static DfcModel load(String path) {
        return read().load(path);
    }

    /** Spark ML's metadata (class, uid, params) at {@code path}, the checkpoint directory at {@code path/crosscoder}. */
    private static final class Writer extends MLWriter {
        private final DfcModel model;

        Writer(DfcModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sparkSession());
            java.nio.file.Path local = null;
            try {
                local = Files.createTempDirectory("dfc-model-");
                java.nio.file.Path dir = local.resolve(CHECKPOINT_DIR);
                Checkpoint.save(model.crosscoder(), dir, List.of());
                copyTree(new Path(dir.toUri()), new Path(path, CHECKPOINT_DIR), sparkSession());
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": could not write the crosscoder: " + e.getMessage(), e);
            } finally {
                deleteQuietly(local);
            }
        }
    }

    private static final class Reader extends MLReader<DfcModel> {
        @Override
        public DfcModel load(String path) {
            DefaultParamsReader.Metadata meta = DefaultParamsReader.loadMetadata(path, sparkSession(), DfcModel.class.getName());
            java.nio.file.Path local = null;
            try {
                local = Files.createTempDirectory("dfc-model-");
                java.nio.file.Path dir = local.resolve(CHECKPOINT_DIR);
                copyTree(new Path(path, CHECKPOINT_DIR), new Path(dir.toUri()), sparkSession());
                DfcModel model = new DfcModel(meta.uid(), CrosscoderSnapshot.of(Checkpoint.load(dir)));
                meta.getAndSetParams(model, scala.Option.empty());
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": could not read the crosscoder: " + e.getMessage(), e);
            } finally {
                deleteQuietly(local);
            }
        }
    }

    /**
     * Copies a directory between file systems (the local temporary one and wherever the model is saved), as the
     * harvest store is accessed: the raw file system for {@code file:} paths, so no {@code .crc} side files (they would
     * make a hand-edited config.json unreadable).
     */
    private static void copyTree(Path from, Path to, SparkSession spark) throws IOException {
        Configuration conf = HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration());
        FileSystem src = from.getFileSystem(conf), dst = to.getFileSystem(conf);
        if (!src.exists(from)) throw new IllegalArgumentException(from + ": not found (not a saved DfcModel?)");
        FileUtil.copy(src, from, dst, to, false, true, conf);
    }

    private static void deleteQuietly(java.nio.file.Path dir) {
        if (dir == null) return;
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
