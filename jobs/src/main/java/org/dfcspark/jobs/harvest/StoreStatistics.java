package org.dfcspark.jobs.harvest;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.ChannelMoments;
import scala.Tuple2;

/**
 * Per model x layer statistics of the store, computed with a Spark aggregation over the written rows: count,
 * per-channel mean and (population) variance, and mean L2 norm. Rows flagged as sinks are left out (they are
 * kept only to be looked at; their norms would dominate every statistic).
 */
final class StoreStatistics {
    private StoreStatistics() {}

    /** layer -> {moments of A, moments of B}. */
    static Map<Integer, ChannelMoments[]> compute(SparkSession spark, StoreLayout layout, ActivationCodec codec, int dModel) {
        JavaPairRDD<Integer, ChannelMoments[]> partial = spark.read().parquet(layout.activations().toString())
                .where(col(ActivationSchema.SINK).equalTo(false))
                .select(ActivationSchema.LAYER, ActivationSchema.A, ActivationSchema.B)
                .javaRDD()
                .mapPartitionsToPair((Iterator<Row> rows) -> {
                    Map<Integer, ChannelMoments[]> byLayer = new TreeMap<>();
                    while (rows.hasNext()) {
                        Row r = rows.next();
                        ChannelMoments[] m = byLayer.computeIfAbsent(r.getInt(0),
                                l -> new ChannelMoments[] {new ChannelMoments(dModel), new ChannelMoments(dModel)});
                        m[0].add(codec.decode((byte[]) r.get(1), dModel));
                        m[1].add(codec.decode((byte[]) r.get(2), dModel));
                    }
                    List<Tuple2<Integer, ChannelMoments[]>> out = new ArrayList<>();
                    byLayer.forEach((l, m) -> out.add(new Tuple2<>(l, m)));
                    return out.iterator();
                });
        return new TreeMap<>(partial.reduceByKey((x, y) -> new ChannelMoments[] {x[0].merge(y[0]), x[1].merge(y[1])})
                .collectAsMap());
    }

    /** statistics.json: one entry per (layer, model) with count, mean_norm, mean[d], var[d]. */
    static String toJson(Map<Integer, ChannelMoments[]> stats, List<Integer> layers, int dModel, ObjectMapper json) throws Exception {
        ObjectNode root = json.createObjectNode();
        root.put("format", "dfc-activation-statistics/1");
        root.put("d_model", dModel);
        root.put("excludes", "rows with sink = true");
        ArrayNode entries = root.putArray("entries");
        for (int layer : layers) {
            ChannelMoments[] m = stats.getOrDefault(layer, new ChannelMoments[] {new ChannelMoments(dModel), new ChannelMoments(dModel)});
            for (int k = 0; k < 2; k++) {
                ObjectNode e = entries.addObject();
                e.put("layer", layer);
                e.put("model", k == 0 ? "a" : "b");
                e.put("count", m[k].count());
                if (m[k].count() > 0) e.put("mean_norm", m[k].meanNorm());
                else e.putNull("mean_norm");
                ArrayNode mean = e.putArray("mean");
                for (double v : m[k].mean()) mean.add(v);
                ArrayNode var = e.putArray("var");
                for (double v : m[k].variance()) var.add(v);
            }
        }
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }
}
