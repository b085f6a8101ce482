package org.dfcspark.jobs.ml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderSnapshot;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.Version;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.train.ReplicaTask;
import org.dfcspark.jobs.train.TrainJob;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * Spark ML estimator of a crosscoder: {@code fit} trains one on a dataset's {@code a}/{@code b} vector columns (e.g.
 * {@link DfcData#read}) and returns a {@link DfcModel}. Its params are the training settings of {@link TrainConfig},
 * named by its snake_case keys, with TrainConfig's defaults; the settings of a store-backed run ({@code store},
 * {@code hook}, checkpoints, retries) have no param here.
 *
 * <p>Training is data-parallel as {@code bin/dfc train}: one Spark barrier stage of {@code replicas} tasks joined by an
 * all-reduce, each training on its partition of the rows ({@link TrainingRows} deals them to data streams by a hash of
 * their values), so R replicas train the same parameters as one. The normalisation is fitted on the driver from the
 * rows' moments (one Spark aggregation). Each replica holds its rows in memory.
 */
public final class DfcEstimator extends Estimator<DfcModel> implements DefaultParamsWritable {
    private static final Map<String, Object> DEFAULTS = TrainConfig.defaults().toMap();

    private final String uid;
    private final List<Param<?>> trainingParams = new ArrayList<>();
    private final Param<String> inputColA;
    private final Param<String> inputColB;
    private final IntParam dictSize;
    private final IntParam k;
    private final DoubleParam exclA;
    private final DoubleParam exclB;
    private final Param<String> coupling;
    private final Param<String> sparsity;
    private final Param<String> loss;
    private final DoubleParam l1Shared;
    private final DoubleParam l1Excl;
    private final DoubleParam auxkAlpha;
    private final LongParam deadTokens;
    private final Param<String> normalization;
    private final Param<String> init;
    private final Param<String> biasInit;
    private final DoubleParam lr;
    private final DoubleParam clip;
    private final IntParam warmup;
    private final DoubleParam decayStart;
    private final LongParam thresholdStart;
    private final DoubleParam thresholdBeta;
    private final IntParam steps;
    private final IntParam batch;
    private final LongParam seed;
    private final IntParam replicas;
    private final IntParam streams;
    private final Param<String> sync;
    private final IntParam shuffleBlock;
    private final LongParam maxBadRows;
    private final IntParam logEvery;
    private final IntParam threads;

    public DfcEstimator() {
        this(Identifiable.randomUID("dfcEstimator"));
    }

    public DfcEstimator(String uid) {
        this.uid = uid;
        inputColA = new Param<>(uid, "inputColA", "column of model A's activation vectors");
        inputColB = new Param<>(uid, "inputColB", "column of model B's activation vectors");
        setDefault(inputColA, "a");
        setDefault(inputColB, "b");
        dictSize = intParam("dict_size", "dictionary size D");
        k = intParam("k", "active latents per row (topk, batchtopk)");
        exclA = doubleParam("excl_a", "share of the dictionary that is A-exclusive");
        exclB = doubleParam("excl_b", "share of the dictionary that is B-exclusive");
        coupling = stringParam("coupling", "separate | tied (shared decoders and b_dec tied across models)");
        sparsity = stringParam("sparsity", "topk | batchtopk | relu");
        loss = stringParam("loss", "paper | reference | anthropic");
        l1Shared = doubleParam("l1_shared", "paper: lambda_sh; anthropic: lambda");
        l1Excl = doubleParam("l1_excl", "paper: lambda_excl");
        auxkAlpha = doubleParam("auxk_alpha", "reference loss: AuxK weight");
        deadTokens = longParam("dead_tokens", "a latent that has not fired for this many rows is dead");
        normalization = stringParam("normalization", "scalar | zscore | none, fitted on the dataset's moments");
        init = stringParam("init", "encoder/decoder initialisation: paper | transpose");
        biasInit = stringParam("bias_init", "decoder bias: zeros | mean | geomedian (from the first micro-batch)");
        lr = doubleParam("lr", "Adam learning rate");
        clip = doubleParam("clip", "global gradient-norm clipping (0 = none)");
        warmup = intParam("warmup", "learning-rate warm-up steps");
        decayStart = doubleParam("decay_start", "linear decay to 0 from this step, or from this fraction of the steps if in (0, 1) (-1 = constant)");
        thresholdStart = longParam("threshold_start", "batchtopk: the threshold EMA starts after this step");
        thresholdBeta = doubleParam("threshold_beta", "batchtopk: the threshold EMA's decay");
        steps = intParam("steps", "optimiser steps");
        batch = intParam("batch", "global batch (rows per step), split evenly across streams");
        seed = longParam("seed", "seed of the initialisation and the data order");
        replicas = intParam("replicas", "data-parallel replicas (tasks of one Spark barrier stage)");
        streams = intParam("streams", "data sub-streams (0 = replicas); the trained parameters depend on streams, not on replicas");
        sync = stringParam("sync", "every-step (exact) | every:H (average replicas every H steps)");
        shuffleBlock = intParam("shuffle_block", "units shuffled together in a stream");
        maxBadRows = longParam("max_bad_rows", "rows with NaN/Inf are left out; more than this many is an error");
        logEvery = intParam("log_every", "steps between progress lines");
        threads = intParam("threads", "compute threads per replica (0 = the task's cores)");
    }

    private IntParam intParam(String key, String doc) {
        return withDefault(new IntParam(uid, key, doc), key);
    }

    private DoubleParam doubleParam(String key, String doc) {
        return withDefault(new DoubleParam(uid, key, doc), key);
    }

    private LongParam longParam(String key, String doc) {
        return withDefault(new LongParam(uid, key, doc), key);
    }

    private Param<String> stringParam(String key, String doc) {
        return withDefault(new Param<>(uid, key, doc), key);
    }

    /** The param's default is TrainConfig's (the only copy of the defaults). */
    @SuppressWarnings("unchecked")
    private <P extends Param<?>> P withDefault(P p, String key) {
        if (!DEFAULTS.containsKey(key)) throw new IllegalStateException("no TrainConfig key " + key);
        setDefault((Param<Object>) p, DEFAULTS.get(key));
        trainingParams.add(p);
        return p;
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The training settings these params make (TrainConfig's own checks apply: a bad combination is refused here). */
    public TrainConfig trainConfig() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Param<?> p : trainingParams) m.put(p.name(), String.valueOf(getOrDefault(p)));
        return TrainConfig.defaults().with(m);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        DfcModel.checkInputs(schema, getInputColA(), getInputColB(), -1);
        return DfcModel.withOutputs(schema, DfcModel.DEFAULT_OUTPUT_COL, getDictSize(), false);
    }

    @Override
    public DfcModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        TrainConfig cfg = trainConfig();
        return reportingBadInput(() -> {
            try (TrainingRows rows = TrainingRows.of(dataset, getInputColA(), getInputColB())) {
                return train(dataset.sparkSession(), rows, this, cfg);
            }
        });
    }

    /**
     * Several variants over one reading of the data: the rows are decoded, hashed and cached once, then the variants
     * are trained one after another on them (each its own barrier stage). The maps must not change the input columns.
     */
    @Override
    public Seq<DfcModel> fit(Dataset<?> dataset, Seq<ParamMap> paramMaps) {
        transformSchema(dataset.schema());
        List<DfcEstimator> variants = new ArrayList<>();
        for (ParamMap m : CollectionConverters.asJava(paramMaps)) {
            DfcEstimator v = copy(m);
            if (!v.getInputColA().equals(getInputColA()) || !v.getInputColB().equals(getInputColB())) {
                throw new IllegalArgumentException("fit with several param maps reads the data once: the maps must not change inputColA/inputColB");
            }
            variants.add(v);
        }
        List<DfcModel> models = reportingBadInput(() -> {
            List<DfcModel> trained = new ArrayList<>();
            try (TrainingRows rows = TrainingRows.of(dataset, getInputColA(), getInputColB())) {
                for (DfcEstimator v : variants) trained.add(train(dataset.sparkSession(), rows, v, v.trainConfig()));
            }
            return trained;
        });
        return CollectionConverters.asScala(models).toList();
    }

    /**
     * Bad input found on an executor (a vector of the wrong size) or in a replica reaches the caller as Spark's
     * SparkException, the executor's exception in its text: it is reported as the IllegalArgumentException it was.
     */
    private static <T> T reportingBadInput(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) { // SparkException is checked in Java but thrown by collect() and friends
            Throwable cause = TrainJob.rootCause(e);
            String what = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            if (cause instanceof IllegalArgumentException) throw new IllegalArgumentException(what, e);
            if (e instanceof RuntimeException r) throw r;
            throw new IllegalStateException("training failed: " + what, e);
        }
    }

    /** One barrier stage of {@code replicas} tasks over the rows; replica 0 returns the crosscoder. */
    private static DfcModel train(SparkSession spark, TrainingRows rows, DfcEstimator variant, TrainConfig cfg) {
        int threads = TrainJob.threadsPerReplica(spark, cfg), streams = cfg.streamCount(), d = rows.dim();
        TrainingRows.Moments moments = rows.moments();
        if (moments.nonFinite > cfg.maxBadRows()) {
            throw new IllegalArgumentException("the dataset has " + moments.nonFinite + " rows with NaN/Inf, more than max_bad_rows = "
                    + cfg.maxBadRows() + " (they would be left out; raise max_bad_rows to train on the rest)");
        }
        long[] perStream = rows.rowsPerStream(streams);
        long most = 0;
        for (int s = 0; s < streams; s++) {
            if (perStream[s] == 0) {
                throw new IllegalArgumentException("the dataset's " + moments.count + " rows leave data stream " + s + " of " + streams
                        + " empty; use fewer streams or more rows");
            }
            most = Math.max(most, perStream[s]);
        }
        int unitsPerStream = (int) Math.max(1, (most + TrainingRows.UNIT_ROWS - 1) / TrainingRows.UNIT_ROWS);
        Normalization.Scheme scheme = cfg.normalizationScheme();
        Normalization norm = scheme == null ? null : rows.normalization(scheme, cfg.coupling() == org.dfcspark.dfc.Coupling.TIED);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("data", "Spark ML dataset (" + moments.count + " rows)");
        prov.put("data_rows", moments.count);
        prov.put("init_weights", cfg.init().id());
        prov.put("code_version", Version.CODE);
        prov.put("train_config", cfg.toMap());
        CrosscoderConfig ccConfig = cfg.crosscoderConfig(d, norm).withProvenance(prov);
        ReplicaTask<scala.Tuple2<Integer, TrainingRows.KeyedRow>> task =
                new ReplicaTask<>(cfg, ccConfig, new TrainingRows.PartitionOpener(streams, unitsPerStream, d), null, threads);
        spark.sparkContext().setJobDescription("dfc DfcEstimator.fit " + variant.uid());
        List<ReplicaTask.Result> results = rows.dealt(streams, cfg.replicas()).rdd().barrier()
                .mapPartitions(task, false, ClassTag$.MODULE$.apply(ReplicaTask.Result.class))
                .toJavaRDD().collect();
        CrosscoderSnapshot trained = null;
        for (ReplicaTask.Result r : results) {
            if (r.crosscoder() != null) trained = r.crosscoder();
            String stopped = stopped(r.json());
            if (!stopped.isEmpty()) throw new IllegalStateException(stopped);
        }
        if (trained == null) throw new IllegalStateException("no crosscoder from replica 0");
        DfcModel model = new DfcModel(variant.uid(), trained);
        variant.copyValues(model, ParamMap.empty());
        return model.setParent(variant);
    }

    private static String stopped(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("stopped").asText("");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable replica result: " + json, e);
        }
    }

    @Override
    public DfcEstimator copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<DfcEstimator> read() {
        return new DefaultParamsReader<>();
    }

    public static DfcEstimator load(String path) {
        return read().load(path);
    }

    // ---- params ----

    public Param<String> inputColA() {
        return inputColA;
    }

    public String getInputColA() {
        return getOrDefault(inputColA);
    }

    public DfcEstimator setInputColA(String value) {
        return (DfcEstimator) set(inputColA, value);
    }

    public Param<String> inputColB() {
        return inputColB;
    }

    public String getInputColB() {
        return getOrDefault(inputColB);
    }

    public DfcEstimator setInputColB(String value) {
        return (DfcEstimator) set(inputColB, value);
    }

    public IntParam dictSize() {
        return dictSize;
    }

    public int getDictSize() {
        return (Integer) getOrDefault(dictSize);
    }

    public DfcEstimator setDictSize(int value) {
        return (DfcEstimator) set(dictSize, value);
    }

    public IntParam k() {
        return k;
    }

    public int getK() {
        return (Integer) getOrDefault(k);
    }

    public DfcEstimator setK(int value) {
        return (DfcEstimator) set(k, value);
    }

    public DoubleParam exclA() {
        return exclA;
    }

    public double getExclA() {
        return (Double) getOrDefault(exclA);
    }

    public DfcEstimator setExclA(double value) {
        return (DfcEstimator) set(exclA, value);
    }

    public DoubleParam exclB() {
        return exclB;
    }

    public double getExclB() {
        return (Double) getOrDefault(exclB);
    }

    public DfcEstimator setExclB(double value) {
        return (DfcEstimator) set(exclB, value);
    }

    public Param<String> coupling() {
        return coupling;
    }

    public String getCoupling() {
        return getOrDefault(coupling);
    }

    public DfcEstimator setCoupling(String value) {
        return (DfcEstimator) set(coupling, value);
    }

    public Param<String> sparsity() {
        return sparsity;
    }

    public String getSparsity() {
        return getOrDefault(sparsity);
    }

    public DfcEstimator setSparsity(String value) {
        return (DfcEstimator) set(sparsity, value);
    }

    public Param<String> loss() {
        return loss;
    }

    public String getLoss() {
        return getOrDefault(loss);
    }

    public DfcEstimator setLoss(String value) {
        return (DfcEstimator) set(loss, value);
    }

    public DoubleParam l1Shared() {
        return l1Shared;
    }

    public double getL1Shared() {
        return (Double) getOrDefault(l1Shared);
    }

    public DfcEstimator setL1Shared(double value) {
        return (DfcEstimator) set(l1Shared, value);
    }

    public DoubleParam l1Excl() {
        return l1Excl;
    }

    public double getL1Excl() {
        return (Double) getOrDefault(l1Excl);
    }

    public DfcEstimator setL1Excl(double value) {
        return (DfcEstimator) set(l1Excl, value);
    }

    public DoubleParam auxkAlpha() {
        return auxkAlpha;
    }

    public double getAuxkAlpha() {
        return (Double) getOrDefault(auxkAlpha);
    }

    public DfcEstimator setAuxkAlpha(double value) {
        return (DfcEstimator) set(auxkAlpha, value);
    }

    public LongParam deadTokens() {
        return deadTokens;
    }

    public long getDeadTokens() {
        return (Long) getOrDefault(deadTokens);
    }

    public DfcEstimator setDeadTokens(long value) {
        return (DfcEstimator) set(deadTokens, value);
    }

    public Param<String> normalization() {
        return normalization;
    }

    public String getNormalization() {
        return getOrDefault(normalization);
    }

    public DfcEstimator setNormalization(String value) {
        return (DfcEstimator) set(normalization, value);
    }

    public Param<String> init() {
        return init;
    }

    public String getInit() {
        return getOrDefault(init);
    }

    public DfcEstimator setInit(String value) {
        return (DfcEstimator) set(init, value);
    }

    public Param<String> biasInit() {
        return biasInit;
    }

    public String getBiasInit() {
        return getOrDefault(biasInit);
    }

    public DfcEstimator setBiasInit(String value) {
        return (DfcEstimator) set(biasInit, value);
    }

    public DoubleParam lr() {
        return lr;
    }

    public double getLr() {
        return (Double) getOrDefault(lr);
    }

    public DfcEstimator setLr(double value) {
        return (DfcEstimator) set(lr, value);
    }

    public DoubleParam clip() {
        return clip;
    }

    public double getClip() {
        return (Double) getOrDefault(clip);
    }

    public DfcEstimator setClip(double value) {
        return (DfcEstimator) set(clip, value);
    }

    public IntParam warmup() {
        return warmup;
    }

    public int getWarmup() {
        return (Integer) getOrDefault(warmup);
    }

    public DfcEstimator setWarmup(int value) {
        return (DfcEstimator) set(warmup, value);
    }

    public DoubleParam decayStart() {
        return decayStart;
    }

    public double getDecayStart() {
        return (Double) getOrDefault(decayStart);
    }

    public DfcEstimator setDecayStart(double value) {
        return (DfcEstimator) set(decayStart, value);
    }

    public LongParam thresholdStart() {
        return thresholdStart;
    }

    public long getThresholdStart() {
        return (Long) getOrDefault(thresholdStart);
    }

    public DfcEstimator setThresholdStart(long value) {
        return (DfcEstimator) set(thresholdStart, value);
    }

    public DoubleParam thresholdBeta() {
        return thresholdBeta;
    }

    public double getThresholdBeta() {
        return (Double) getOrDefault(thresholdBeta);
    }

    public DfcEstimator setThresholdBeta(double value) {
        return (DfcEstimator) set(thresholdBeta, value);
    }

    public IntParam steps() {
        return steps;
    }

    public int getSteps() {
        return (Integer) getOrDefault(steps);
    }

    public DfcEstimator setSteps(int value) {
        return (DfcEstimator) set(steps, value);
    }

    public IntParam batch() {
        return batch;
    }

    public int getBatch() {
        return (Integer) getOrDefault(batch);
    }

    public DfcEstimator setBatch(int value) {
        return (DfcEstimator) set(batch, value);
    }

    public LongParam seed() {
        return seed;
    }

    public long getSeed() {
        return (Long) getOrDefault(seed);
    }

    public DfcEstimator setSeed(long value) {
        return (DfcEstimator) set(seed, value);
    }

    public IntParam replicas() {
        return replicas;
    }

    public int getReplicas() {
        return (Integer) getOrDefault(replicas);
    }

    public DfcEstimator setReplicas(int value) {
        return (DfcEstimator) set(replicas, value);
    }

    public IntParam streams() {
        return streams;
    }

    public int getStreams() {
        return (Integer) getOrDefault(streams);
    }

    public DfcEstimator setStreams(int value) {
        return (DfcEstimator) set(streams, value);
    }

    public Param<String> sync() {
        return sync;
    }

    public String getSync() {
        return getOrDefault(sync);
    }

    public DfcEstimator setSync(String value) {
        return (DfcEstimator) set(sync, value);
    }

    public IntParam shuffleBlock() {
        return shuffleBlock;
    }

    public int getShuffleBlock() {
        return (Integer) getOrDefault(shuffleBlock);
    }

    public DfcEstimator setShuffleBlock(int value) {
        return (DfcEstimator) set(shuffleBlock, value);
    }

    public LongParam maxBadRows() {
        return maxBadRows;
    }

    public long getMaxBadRows() {
        return (Long) getOrDefault(maxBadRows);
    }

    public DfcEstimator setMaxBadRows(long value) {
        return (DfcEstimator) set(maxBadRows, value);
    }

    public IntParam logEvery() {
        return logEvery;
    }

    public int getLogEvery() {
        return (Integer) getOrDefault(logEvery);
    }

    public DfcEstimator setLogEvery(int value) {
        return (DfcEstimator) set(logEvery, value);
    }

    public IntParam threads() {
        return threads;
    }

    public int getThreads() {
        return (Integer) getOrDefault(threads);
    }

    public DfcEstimator setThreads(int value) {
        return (DfcEstimator) set(threads, value);
    }
}
