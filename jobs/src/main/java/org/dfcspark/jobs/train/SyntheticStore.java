package org.dfcspark.jobs.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.jobs.harvest.ActivationFileWriter;
import org.dfcspark.jobs.harvest.StoreLayout;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * A store in the harvest's format holding seeded random paired activations (B Gaussian, A = B plus a shift on a few
 * channels), for benchmarks at sizes no shipped model has (d = 512): shard files written by the harvest's own
 * {@link ActivationFileWriter}, and a manifest with the fields a trainer reads. No statistics.json: train it with
 * {@code normalization = none}.
 */
public final class SyntheticStore {
    private SyntheticStore() {}

    public static void write(String root, int d, int rows, int rowsPerShard, long seed) throws IOException {
        Configuration conf = HadoopFiles.storeConf(new Configuration());
        StoreLayout layout = new StoreLayout(root);
        SplittableRandom rng = new SplittableRandom(seed);
        int shards = (rows + rowsPerShard - 1) / rowsPerShard;
        for (int s = 0; s < shards; s++) {
            try (ActivationFileWriter w = new ActivationFileWriter(layout.shardFile(0, s), "synthetic", ActivationCodec.F16, d, 0, conf)) {
                for (int r = s * rowsPerShard; r < Math.min(rows, (s + 1) * rowsPerShard); r++) {
                    float[] a = new float[d], b = new float[d];
                    for (int i = 0; i < d; i++) {
                        b[i] = (float) gaussian(rng);
                        a[i] = b[i] + (i < 8 ? 1f : 0f);
                    }
                    w.write(new ActivationRow(0, (long) r << 20, "synthetic:" + r, "text", 0, 0, false, false, a, b));
                }
                w.commit();
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = json.createObjectNode();
        m.put("format", "dfc-activations/1");
        m.put("synthetic", true);
        m.putArray("layers").add(0);
        m.put("hook", "blocks.{layer}.hook_resid_post");
        m.put("dtype", ActivationCodec.F16.id());
        m.put("d_model", d);
        m.put("shards", shards);
        m.putObject("rows").put("0", rows);
        HadoopFiles.writeAtomically(layout.manifest(), json.writerWithDefaultPrettyPrinter().writeValueAsString(m), true, conf);
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
