package org.dfcspark.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.harvest.ActivationFileReader;
import org.dfcspark.jobs.harvest.StoreLayout;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * One layer of a finished harvest store as training units: every Parquet row group of the layer's files, in file-name
 * then row-group order, from the store's shuffled copy when it has one, else from {@code activations/}. Built once on the
 * driver (it reads the manifest and the footers) and shipped to the replicas, which read only their units.
 *
 * @param files    file URIs, sorted by name
 * @param units    (file index, row group index, rows) per unit
 */
public record StoreLayerIndex(String store, String hook, int layer, int dModel, ActivationCodec codec, boolean shuffledCopy,
                              List<String> files, List<Unit> units, long rows) implements Serializable {

    public record Unit(int file, int rowGroup, long rows) implements Serializable {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the manifest and the footers; refuses an unfinished store, a hook it lacks, or an empty layer. */
    public static StoreLayerIndex open(String store, String hook) throws IOException {
        int layer = TrainConfig.hookLayer(hook);
        Configuration conf = HadoopFiles.storeConf(new Configuration());
        StoreLayout layout = new StoreLayout(store);
        if (!HadoopFiles.exists(layout.manifest(), conf)) {
            throw new IllegalArgumentException(store + ": no manifest.json, so not a finished harvest store (run or resume bin/dfc harvest)");
        }
        JsonNode manifest = JSON.readTree(HadoopFiles.read(layout.manifest(), conf));
        List<Integer> layers = new ArrayList<>();
        for (JsonNode l : manifest.path("layers")) layers.add(l.asInt());
        if (!layers.contains(layer)) {
            List<String> hooks = layers.stream().map(l -> "blocks." + l + ".hook_resid_post").toList();
            throw new IllegalArgumentException(store + ": the store has no hook " + hook + " (it has " + hooks + ")");
        }
        ActivationCodec codec = ActivationCodec.parse(manifest.path("dtype").asText());
        int d = manifest.path("d_model").asInt();
        boolean shuffled = HadoopFiles.exists(new Path(layout.shuffledLayer(layer), "_SUCCESS"), conf);
        Path dir = shuffled ? layout.shuffledLayer(layer) : layout.activationLayer(layer);
        List<Path> paths = new ArrayList<>(HadoopFiles.list(dir, conf).stream().filter(p -> p.getName().endsWith(".parquet")).toList());
        paths.sort(Comparator.comparing(Path::getName));
        List<String> files = new ArrayList<>();
        List<Unit> units = new ArrayList<>();
        long rows = 0;
        for (Path p : paths) {
            ParquetMetadata footer;
            try {
                footer = ActivationFileReader.footer(p, conf);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(p + ": not a readable Parquet file (" + e.getMessage() + ")");
            }
            List<BlockMetaData> blocks = footer.getBlocks();
            for (int g = 0; g < blocks.size(); g++) {
                if (blocks.get(g).getRowCount() == 0) continue;
                units.add(new Unit(files.size(), g, blocks.get(g).getRowCount()));
                rows += blocks.get(g).getRowCount();
            }
            files.add(p.toString());
        }
        long expected = manifest.path("rows").path(Integer.toString(layer)).asLong(-1);
        if (rows != expected) {
            throw new IllegalArgumentException(dir + ": holds " + rows + " rows but the manifest says " + expected
                    + " (store damaged? check it with bin/dfc harvest validate)");
        }
        if (rows == 0) throw new IllegalArgumentException(store + ": hook " + hook + " has no rows");
        return new StoreLayerIndex(store, hook, layer, d, codec, shuffled, List.copyOf(files), List.copyOf(units), rows);
    }

    /**
     * The crosscoder's normalisation from the store's statistics.json (per channel mean and population variance of the
     * non-sink rows of this layer, as the trainer reads them): the same numbers {@link Normalization#fit} computes.
     */
    public Normalization normalization(Normalization.Scheme scheme, boolean shared) throws IOException {
        Configuration conf = HadoopFiles.storeConf(new Configuration());
        Path file = new StoreLayout(store).statistics();
        if (!HadoopFiles.exists(file, conf)) throw new IllegalArgumentException(store + ": no statistics.json (written by bin/dfc harvest)");
        JsonNode root = JSON.readTree(HadoopFiles.read(file, conf));
        double[] mu = new double[2 * dModel], var = new double[2 * dModel];
        int found = 0;
        for (JsonNode e : root.path("entries")) {
            if (e.path("layer").asInt() != layer) continue;
            int m = e.path("model").asText().equals("a") ? 0 : 1;
            long n = e.path("count").asLong();
            if (n < 2) throw new IllegalArgumentException(file + ": layer " + layer + " has " + n + " rows; needs at least 2 for normalisation statistics");
            JsonNode mean = e.path("mean"), v = e.path("var");
            if (mean.size() != dModel || v.size() != dModel) throw new IllegalArgumentException(file + ": layer " + layer + " statistics are not " + dModel + "-dimensional");
            for (int i = 0; i < dModel; i++) {
                mu[m * dModel + i] = mean.get(i).asDouble();
                var[m * dModel + i] = v.get(i).asDouble() * n / (n - 1); // population -> Bessel-corrected, as fit() uses
            }
            found++;
        }
        if (found != 2) throw new IllegalArgumentException(file + ": no statistics for layer " + layer);
        if (shared) {
            for (int i = 0; i < dModel; i++) {
                mu[i] = mu[dModel + i] = (mu[i] + mu[dModel + i]) / 2;
                var[i] = var[dModel + i] = (var[i] + var[dModel + i]) / 2;
            }
        }
        return Normalization.fromMoments(scheme, shared, dModel, mu, var, Math.sqrt(dModel));
    }
}
