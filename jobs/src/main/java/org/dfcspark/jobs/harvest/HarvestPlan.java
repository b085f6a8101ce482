package org.dfcspark.jobs.harvest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.Rendering;
import org.dfcspark.harvest.PreparedSequence;
import org.dfcspark.harvest.SequencePreparer;
import org.dfcspark.jobs.work.HadoopFiles;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Stage 1 of a harvest, run once per output directory: every prompt rendered, tokenized and given its positions
 * (on the executors), then sorted by length and cut into shards of similar lengths (little padding), written to
 * {@code _harvest/plan/} and sealed by {@code plan.done.json}. A restart reuses the sealed plan, so shard contents
 * never change between attempts: this is what makes the shard outputs deterministic.
 */
final class HarvestPlan {
    private HarvestPlan() {}

    static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("shard", DataTypes.IntegerType, false),
            DataTypes.createStructField("ordinal", DataTypes.LongType, false),
            DataTypes.createStructField("prompt_id", DataTypes.StringType, false),
            DataTypes.createStructField("source", DataTypes.StringType, false),
            DataTypes.createStructField("ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            DataTypes.createStructField("positions", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            DataTypes.createStructField("in_tool_call", DataTypes.createArrayType(DataTypes.BooleanType, false), false),
            DataTypes.createStructField("tool_call_known", DataTypes.BooleanType, false),
            DataTypes.createStructField("truncated", DataTypes.BooleanType, false),
            DataTypes.createStructField("n_tokens", DataTypes.IntegerType, false)});

    /** What plan.done.json records. */
    record Summary(long prompts, int shards, long tokens, long truncated, long empty) {}

    static Summary ensure(SparkSession spark, HarvestOptions o, StoreLayout layout, Configuration conf, ObjectMapper json)
            throws IOException {
        if (!HadoopFiles.exists(layout.planDone(), conf)) build(spark, o, layout, conf, json);
        return json.readValue(HadoopFiles.read(layout.planDone(), conf), Summary.class);
    }

    private static void build(SparkSession spark, HarvestOptions o, StoreLayout layout, Configuration conf, ObjectMapper json)
            throws IOException {
        JavaRDD<PreparedSequence> prepared = HarvestInputs.read(spark, o.prompts(), false) // validated by the preflight
                .zipWithIndex()
                .mapPartitions((Iterator<Tuple2<PromptRecord, Long>> it) -> prepare(o, it))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            // Sort key: length, then input order (both fit one long: length < 2^20, ordinal < 2^43).
            JavaRDD<Row> rows = prepared
                    .sortBy(s -> ((long) s.length() << 43) | s.ordinal(), true, prepared.getNumPartitions())
                    .zipWithIndex()
                    .map(t -> toRow(t._1(), (int) (t._2() / o.shardSize())));
            spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.Overwrite).parquet(layout.plan().toString());
        } finally {
            prepared.unpersist(false);
        }
        Dataset<Row> plan = spark.read().parquet(layout.plan().toString());
        List<Row> dup = plan.groupBy("prompt_id").agg(count("*").as("n")).where(col("n").gt(1)).limit(1).collectAsList();
        if (!dup.isEmpty()) {
            throw new IllegalArgumentException(o.prompts() + ": prompt id '" + dup.get(0).getString(0) + "' appears "
                    + dup.get(0).getLong(1) + " times; ids must be unique");
        }
        Row agg = plan.agg(count("*"), max("shard"), sum("n_tokens"), sum(when(col("truncated"), 1).otherwise(0)),
                sum(when(size(col("positions")).equalTo(0), 1).otherwise(0))).first();
        long prompts = agg.getLong(0);
        if (prompts == 0) throw new IllegalArgumentException(o.prompts() + ": no prompts");
        Summary s = new Summary(prompts, agg.getInt(1) + 1, agg.isNullAt(2) ? 0 : agg.getLong(2), agg.getLong(3), agg.getLong(4));
        HadoopFiles.writeAtomically(layout.planDone(), json.writerWithDefaultPrettyPrinter().writeValueAsString(s), true, conf);
    }

    /** One preparer (tokenizer + template) per JVM and settings, shared by the tasks of an executor. */
    private static final Map<String, SequencePreparer> PREPARERS = new ConcurrentHashMap<>();

    private static Iterator<PreparedSequence> prepare(HarvestOptions o, Iterator<Tuple2<PromptRecord, Long>> it) {
        String key = o.modelA() + "|" + o.rendering() + "|" + o.positions() + "|" + o.maxLength() + "|" + o.truncation() + "|" + o.includeSpecial();
        SequencePreparer p = PREPARERS.computeIfAbsent(key, k -> SequencePreparer.forModel(Path.of(o.modelA()),
                Rendering.Mode.parse(o.rendering()), o.positions(), o.maxLength(), o.truncation(), o.includeSpecial()));
        List<PreparedSequence> out = new ArrayList<>();
        while (it.hasNext()) {
            Tuple2<PromptRecord, Long> t = it.next();
            try {
                out.add(p.prepare(t._2(), t._1()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("prompt " + t._1().id() + ": " + e.getMessage(), e);
            }
        }
        return out.iterator();
    }

    static Row toRow(PreparedSequence s, int shard) {
        List<Integer> ids = new ArrayList<>(s.ids().length);
        for (int id : s.ids()) ids.add(id);
        List<Integer> pos = new ArrayList<>(s.positions().length);
        for (int p : s.positions()) pos.add(p);
        List<Boolean> flags = new ArrayList<>(s.inToolCall().length);
        for (boolean f : s.inToolCall()) flags.add(f);
        return RowFactory.create(shard, s.ordinal(), s.promptId(), s.source(), CollectionConverters.asScala(ids).toSeq(),
                CollectionConverters.asScala(pos).toSeq(), CollectionConverters.asScala(flags).toSeq(), s.toolCallKnown(),
                s.truncated(), s.length());
    }

    static PreparedSequence fromRow(Row r) {
        List<Integer> ids = r.getList(r.fieldIndex("ids"));
        List<Integer> pos = r.getList(r.fieldIndex("positions"));
        List<Boolean> flags = r.getList(r.fieldIndex("in_tool_call"));
        boolean[] f = new boolean[flags.size()];
        for (int i = 0; i < f.length; i++) f[i] = flags.get(i);
        return new PreparedSequence(r.getLong(r.fieldIndex("ordinal")), r.getString(r.fieldIndex("prompt_id")),
                r.getString(r.fieldIndex("source")), ids.stream().mapToInt(Integer::intValue).toArray(),
                pos.stream().mapToInt(Integer::intValue).toArray(), f, r.getBoolean(r.fieldIndex("tool_call_known")),
                r.getBoolean(r.fieldIndex("truncated")));
    }
}
