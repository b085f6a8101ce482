package org.dfcspark.jobs.harvest;

import java.io.Serializable;
import org.apache.hadoop.fs.Path;

/**
 * Where everything of one harvest lives under its output directory (any Hadoop file system with an atomic
 * rename: local, NFS, HDFS):
 * <pre>
 * OUT/manifest.json                        written last: its presence means the harvest is complete
 * OUT/statistics.json                      per model x layer channel statistics
 * OUT/activations/layer=L/shard-NNNNN.parquet
 * OUT/shuffled/layer=L/part-*.parquet      (--shuffle) the same rows in a seeded global random order
 * OUT/_harvest/settings.json               the settings the plan was made with (a restart must match them)
 * OUT/_harvest/plan/                       prepared prompts (token ids, positions, shard), Parquet
 * OUT/_harvest/done/shard-NNNNN.json       per-shard done marker, written after the shard's files
 * </pre>
 * Names starting with {@code _} or {@code .} are invisible to Parquet readers of {@code activations/}.
 */
public final class StoreLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String root;

    public StoreLayout(String root) {
        this.root = root;
    }

    public Path root() {
        return new Path(root);
    }

    public Path manifest() {
        return new Path(root(), "manifest.json");
    }

    public Path statistics() {
        return new Path(root(), "statistics.json");
    }

    public Path activations() {
        return new Path(root(), "activations");
    }

    public Path activationLayer(int layer) {
        return new Path(activations(), "layer=" + layer);
    }

    public Path shardFile(int layer, int shard) {
        return new Path(activationLayer(layer), shardName(shard) + ".parquet");
    }

    public Path shuffled() {
        return new Path(root(), "shuffled");
    }

    public Path shuffledLayer(int layer) {
        return new Path(shuffled(), "layer=" + layer);
    }

    public Path work() {
        return new Path(root(), "_harvest");
    }

    public Path settings() {
        return new Path(work(), "settings.json");
    }

    public Path plan() {
        return new Path(work(), "plan");
    }

    public Path planDone() {
        return new Path(work(), "plan.done.json");
    }

    /** The shards' done markers, {@code shard-NNNNN.json} (see {@code HarvestJob.markers}). */
    public Path doneDir() {
        return new Path(work(), "done");
    }

    public static String shardName(int shard) {
        return String.format("shard-%05d", shard);
    }

    /** The shard number of a marker or shard file name, or -1 when the name is not one. */
    public static int shardOf(String fileName) {
        if (!fileName.startsWith("shard-")) return -1;
        int dot = fileName.indexOf('.');
        if (dot < 0) return -1;
        try {
            return Integer.parseInt(fileName.substring(6, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
