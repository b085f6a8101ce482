package org.dfcspark.jobs.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.harvest.HarvestFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Spark ML API on a real harvest store (two tiny Qwen2 models, 8 prompts, every position) in Spark local mode with
 * 2 task slots: DfcData reads it, a Pipeline with the DfcEstimator fits, transforms, saves and loads.
 */
class DfcEstimatorTest {
    static final String HOOK = "blocks.2.hook_resid_post";

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Dataset<Row> data;
    static PipelineModel fitted;

    @BeforeAll
    static void harvest() throws Exception {
        spark = HarvestFixture.localSpark("DfcEstimatorTest");
        Path store = HarvestFixture.tinyStore(spark, dir);
        data = DfcData.read(spark, store.toString(), HOOK).cache();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /** dict 128, k 8, 20 steps of 64 rows, two data streams; a learning rate that learns something in 20 steps. */
    static DfcEstimator estimator() {
        return new DfcEstimator().setDictSize(128).setK(8).setSteps(20).setBatch(64).setStreams(2).setSeed(3).setLr(3e-3);
    }

    /** The pipeline the tests share: one replica, reconstructions switched on. */
    static synchronized PipelineModel fitted() {
        if (fitted == null) {
            fitted = new Pipeline().setStages(new PipelineStage[] {estimator()}).fit(data);
            model(fitted).setReconstructions(true);
        }
        return fitted;
    }

    static DfcModel model(PipelineModel p) {
        return (DfcModel) p.stages()[0];
    }

    @Test
    void readsTheStoreAsVectors() {
        int d = ((Vector) data.first().getAs("a")).size();
        assertEquals(List.of("sample_id", "prompt_id", "position", "a", "b"), Arrays.asList(data.columns()));
        assertEquals(0, data.filter(functions.udf((Vector v) -> v.size(), org.apache.spark.sql.types.DataTypes.IntegerType)
                .apply(col("b")).notEqual(d)).count(), "every b holds d values");
        assertTrue(data.count() > 64, "enough rows for a batch");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DfcData.read(spark, dir.resolve("store").toString(), "blocks.1.hook_resid_post"));
        assertTrue(e.getMessage().contains("has no hook blocks.1.hook_resid_post"), e.getMessage());
    }

    @Test
    void pipelineFitsTransformsSavesAndLoads() throws Exception {
        PipelineModel pm = fitted();
        DfcModel model = model(pm);
        int d = model.activationDim(), k = 8;
        List<Row> out = pm.transform(data).orderBy("sample_id").collectAsList();
        assertEquals(data.count(), out.size());
        double sse = 0, sst = 0;
        double[] mean = new double[2 * d];
        for (Row r : out) for (int m = 0; m < 2; m++) addTo(mean, m * d, r.<Vector>getAs(m == 0 ? "a" : "b"), 1.0 / out.size());
        for (Row r : out) {
            Vector f = r.getAs("features");
            assertTrue(f instanceof SparseVector, "features is a SparseVector");
            assertEquals(128, f.size());
            assertTrue(f.numNonzeros() <= k, "at most k codes per row, got " + f.numNonzeros());
            for (int m = 0; m < 2; m++) {
                Vector x = r.getAs(m == 0 ? "a" : "b"), xr = r.getAs(m == 0 ? DfcModel.RECONSTRUCTION_A : DfcModel.RECONSTRUCTION_B);
                assertEquals(d, xr.size());
                for (int i = 0; i < d; i++) {
                    sse += Math.pow(x.apply(i) - xr.apply(i), 2);
                    sst += Math.pow(x.apply(i) - mean[m * d + i], 2);
                }
            }
        }
        assertTrue(sse / sst < 1, "FVU on the data is " + sse / sst);

        String path = dir.resolve("pipeline-model").toString();
        pm.write().overwrite().save(path);
        Path checkpoint;
        try (var files = java.nio.file.Files.walk(Path.of(path))) {
            checkpoint = files.filter(f -> f.getFileName().toString().equals("crosscoder")).findFirst().orElseThrow();
        }
        try (var files = java.nio.file.Files.list(checkpoint)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".crc")).toList(), "no .crc files beside the checkpoint");
        }
        assertSameParameters(model.crosscoder(), Checkpoint.load(checkpoint), 0); // bin/dfc crosscoder tools read it as is
        PipelineModel loaded = PipelineModel.load(path);
        assertEquals(model.uid(), model(loaded).uid());
        assertTrue(model(loaded).getReconstructions(), "params saved with the model");
        assertSameParameters(model.crosscoder(), model(loaded).crosscoder(), 0);
        List<Row> again = loaded.transform(data).orderBy("sample_id").collectAsList();
        assertEquals(out, again, "the loaded model transforms identically");
    }

    @Test
    void twoReplicasTrainTheSameParametersAsOne() {
        DfcModel two = estimator().setReplicas(2).fit(data);
        assertSameParameters(model(fitted()).crosscoder(), two.crosscoder(), 1e-5);
    }

    @Test
    void severalParamMapsOverOneReadingOfTheData() {
        DfcEstimator est = estimator();
        ParamMap k4 = new ParamMap().put(est.k(), 4), k8 = new ParamMap().put(est.k(), 8);
        List<DfcModel> models = CollectionConverters.asJava(est.fit(data, CollectionConverters.asScala(List.of(k4, k8)).toSeq()));
        assertEquals(2, models.size());
        assertEquals(4, models.get(0).crosscoder().config().k());
        assertSameParameters(model(fitted()).crosscoder(), models.get(1).crosscoder(), 0);
    }

    @Test
    void paramsAreTheTrainConfigKeysWithItsDefaults() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (org.apache.spark.ml.param.Param<?> p : new DfcEstimator().params()) names.add(p.name());
        names.removeAll(List.of("inputColA", "inputColB"));
        assertTrue(TrainConfig.keys().containsAll(names), "not TrainConfig keys: " + names);
        assertTrue(names.containsAll(List.of("dict_size", "k", "excl_a", "excl_b", "coupling", "sparsity", "loss", "l1_shared", "l1_excl",
                "lr", "clip", "warmup", "normalization", "init", "steps", "batch", "seed", "replicas", "streams")), names.toString());
        assertEquals(TrainConfig.defaults(), new DfcEstimator().trainConfig());
    }

    @Test
    void anUnfittedPipelineSavesAndLoadsItsParams() throws Exception {
        String path = dir.resolve("pipeline").toString();
        new Pipeline().setStages(new PipelineStage[] {estimator().setLr(3e-4).setSync("every:2")}).write().overwrite().save(path);
        DfcEstimator loaded = (DfcEstimator) Pipeline.load(path).getStages()[0];
        assertEquals(estimator().setLr(3e-4).setSync("every:2").trainConfig(), loaded.trainConfig());
    }

    @Test
    void badInputIsRefusedWithOneLine() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> estimator().fit(data.drop("b")));
        assertEquals("input column 'b' not found (columns: [sample_id, prompt_id, position, a])", missing.getMessage());

        Dataset<Row> shortA = data.withColumn("a", functions.udf((Vector v) -> Vectors.dense(Arrays.copyOf(v.toArray(), 3)), SQLDataTypes.VectorType()).apply(col("a")));
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> estimator().fit(shortA));
        assertEquals("input column 'b' holds a vector of size 64, but the first row's 'a' has 3 values (every a and b must hold the same number of values)",
                size.getMessage());

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> estimator().setK(500).fit(data));
        assertTrue(bad.getMessage().contains("k"), bad.getMessage());
    }

    private static void addTo(double[] sum, int at, Vector v, double weight) {
        for (int i = 0; i < v.size(); i++) sum[at + i] += v.apply(i) * weight;
    }

    static void assertSameParameters(Crosscoder x, Crosscoder y, double tol) {
        float[][] a = x.parameterArrays(), b = y.parameterArrays();
        for (int t = 0; t < a.length; t++) {
            if (tol == 0) {
                assertArrayEquals(a[t], b[t], "parameter array " + t);
                continue;
            }
            double max = 0;
            for (int i = 0; i < a[t].length; i++) max = Math.max(max, Math.abs(a[t][i] - b[t][i]));
            assertTrue(max <= tol, "parameter array " + t + " differs by " + max);
        }
    }
}
