package org.dfcspark.jobs.ml;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.train.DealtRows;
import org.dfcspark.jobs.train.ReplicaTask;
import scala.Tuple2;

/**
 * A dataset's (a, b) vector pairs as training rows: {@code [a | b]} floats, each keyed by a hash of its values, cached
 * while estimators train on them. The key decides the row's data stream ({@code key mod S}) and its place in the
 * stream (rows sorted by key), so what each stream holds, and in which order, depends only on the rows themselves:
 * not on the input's partitioning and not on the number of replicas. R replicas then train what one trains.
 */
final class TrainingRows implements AutoCloseable {
    /** Rows per unit (the shuffle's granularity: {@code shuffle_block} units are shuffled together). */
    static final int UNIT_ROWS = 1024;

    /** One row: its values' hash, its values, whether they are all finite. */
    record KeyedRow(long key, float[] values, boolean finite) implements Serializable {}

    private final JavaRDD<KeyedRow> rows;
    private final int d;
    private Moments moments;

    private TrainingRows(JavaRDD<KeyedRow> rows, int d) {
        this.rows = rows;
        this.d = d;
    }

    /** Reads the two columns (d from the first row; every row must hold d values in each) and caches the rows. */
    static TrainingRows of(Dataset<?> dataset, String colA, String colB) {
        Dataset<Row> pairs = dataset.select(col(colA), col(colB));
        List<Row> first = pairs.takeAsList(1);
        if (first.isEmpty()) throw new IllegalArgumentException("the dataset has no rows");
        Vector a = first.get(0).getAs(0);
        if (a == null) throw new IllegalArgumentException("input column '" + colA + "' holds null vectors");
        int d = a.size();
        JavaRDD<KeyedRow> rows = pairs.toJavaRDD().map(new ToKeyedRow(colA, colB, d)).persist(StorageLevel.MEMORY_AND_DISK());
        return new TrainingRows(rows, d);
    }

    int dim() {
        return d;
    }

    /** Per-channel moments of the finite rows, and how many rows were not finite (computed once). */
    Moments moments() {
        if (moments == null) {
            moments = rows.treeAggregate(new Moments(2 * d), Moments::add, Moments::merge);
        }
        return moments;
    }

    /** The crosscoder's normalisation from these rows' moments; {@code shared} pools the two models' statistics. */
    Normalization normalization(Normalization.Scheme scheme, boolean shared) {
        Moments m = moments();
        if (m.count < 2) throw new IllegalArgumentException("the dataset has " + m.count + " finite rows; normalisation needs at least 2");
        double[] mu = m.mean.clone(), var = new double[2 * d];
        for (int i = 0; i < 2 * d; i++) var[i] = m.m2[i] / (m.count - 1);
        if (shared) {
            for (int i = 0; i < d; i++) {
                mu[i] = mu[d + i] = (mu[i] + mu[d + i]) / 2;
                var[i] = var[d + i] = (var[i] + var[d + i]) / 2;
            }
        }
        return Normalization.fromMoments(scheme, shared, d, mu, var, Math.sqrt(d));
    }

    /** Finite rows per data stream, for {@code streams} streams. */
    long[] rowsPerStream(int streams) {
        long[] n = new long[streams];
        rows.filter(KeyedRow::finite).map(r -> Math.floorMod(r.key(), streams)).countByValue().forEach((s, c) -> n[s] = c);
        return n;
    }

    /** The finite rows keyed by stream, stream s in partition s mod {@code replicas}: replica r's rows. */
    JavaPairRDD<Integer, KeyedRow> dealt(int streams, int replicas) {
        return rows.filter(KeyedRow::finite).mapToPair(r -> new Tuple2<>(Math.floorMod(r.key(), streams), r))
                .partitionBy(new ReplicaPartitioner(replicas));
    }

    @Override
    public void close() {
        rows.unpersist(false);
    }

    /** Stream s goes to replica s mod R (the replica that owns it, see ReplicaTrainer). */
    static final class ReplicaPartitioner extends Partitioner {
        private final int replicas;

        ReplicaPartitioner(int replicas) {
            this.replicas = replicas;
        }

        @Override
        public int numPartitions() {
            return replicas;
        }

        @Override
        public int getPartition(Object stream) {
            return (Integer) stream % replicas;
        }
    }

    /** On a replica: its partition's rows, sorted by key within each stream, as units. */
    record PartitionOpener(int streams, int unitsPerStream, int d) implements ReplicaTask.DataOpener<Tuple2<Integer, KeyedRow>> {
        private static final Comparator<KeyedRow> ORDER = Comparator.comparingLong(KeyedRow::key)
                .thenComparing(KeyedRow::values, Arrays::compare); // equal keys: practically equal rows; still a total order

        @Override
        public DealtRows open(java.util.Iterator<Tuple2<Integer, KeyedRow>> partitionRows) {
            Map<Integer, List<KeyedRow>> byStream = new HashMap<>();
            while (partitionRows.hasNext()) {
                Tuple2<Integer, KeyedRow> t = partitionRows.next();
                byStream.computeIfAbsent(t._1(), s -> new ArrayList<>()).add(t._2());
            }
            Map<Integer, float[]> rows = new HashMap<>();
            int w = 2 * d;
            for (var e : byStream.entrySet()) {
                List<KeyedRow> list = e.getValue();
                list.sort(ORDER);
                float[] flat = new float[list.size() * w];
                for (int i = 0; i < list.size(); i++) System.arraycopy(list.get(i).values(), 0, flat, i * w, w);
                rows.put(e.getKey(), flat);
            }
            return new DealtRows(streams, unitsPerStream, d, rows, "dataset rows of streams " + new java.util.TreeSet<>(rows.keySet()));
        }
    }

    /** Row → [a | b] floats with their hash; refuses a row whose vectors do not hold d values each. */
    private record ToKeyedRow(String colA, String colB, int d) implements org.apache.spark.api.java.function.Function<Row, KeyedRow> {
        @Override
        public KeyedRow call(Row row) {
            float[] v = new float[2 * d];
            copy(row.getAs(0), colA, v, 0);
            copy(row.getAs(1), colB, v, d);
            long h = 0x9E3779B97F4A7C15L;
            boolean finite = true;
            for (float x : v) {
                finite &= Float.isFinite(x);
                h = (h ^ Float.floatToIntBits(x)) * 0xBF58476D1CE4E5B9L;
                h ^= h >>> 29;
            }
            return new KeyedRow(h, v, finite);
        }

        private void copy(Vector vec, String column, float[] out, int offset) {
            if (vec == null) throw new IllegalArgumentException("input column '" + column + "' holds a null vector");
            if (vec.size() != d) {
                throw new IllegalArgumentException("input column '" + column + "' holds a vector of size " + vec.size() + ", but the first row's '"
                        + colA + "' has " + d + " values (every a and b must hold the same number of values)");
            }
            for (int i = 0; i < d; i++) out[offset + i] = (float) vec.apply(i);
        }
    }

    /** Count, mean and sum of squared deviations per channel (Chan et al.'s parallel update), over finite rows. */
    static final class Moments implements Serializable {
        long count;
        long nonFinite;
        final double[] mean;
        final double[] m2;

        Moments(int w) {
            mean = new double[w];
            m2 = new double[w];
        }

        Moments add(KeyedRow r) {
            if (!r.finite()) {
                nonFinite++;
                return this;
            }
            count++;
            float[] x = r.values();
            for (int i = 0; i < mean.length; i++) {
                double delta = x[i] - mean[i];
                mean[i] += delta / count;
                m2[i] += delta * (x[i] - mean[i]);
            }
            return this;
        }

        Moments merge(Moments o) {
            if (o.count > 0) {
                long n = count + o.count;
                for (int i = 0; i < mean.length; i++) {
                    double delta = o.mean[i] - mean[i];
                    mean[i] += delta * o.count / n;
                    m2[i] += o.m2[i] + delta * delta * count * (double) o.count / n;
                }
                count = n;
            }
            nonFinite += o.nonFinite;
            return this;
        }
    }
}
