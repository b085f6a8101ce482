package org.dfcspark.jobs.harvest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.dfc.ActivationSource;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * One layer of a finished harvest store as crosscoder training data: every row of
 * {@code activations/layer=L/*.parquet} (file name order, then row order) decoded into memory as {@code [A | B]},
 * with each row's prompt id, sample id and token position. Sink-flagged rows (sink policy {@code flag}) are left
 * out, as the store's statistics leave them out. For stores that fit in memory (a demo, a layer of a small
 * harvest); larger ones are read by the trainers' streaming sources.
 */
public final class StoreActivations implements ActivationSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final int d;
    private final float[] data;
    private final ArrayActivations inMemory; // the row reads over data
    private final List<String> promptIds;
    private final long[] sampleIds;
    private final int[] positions;

    private StoreActivations(String name, int d, float[] data, List<String> promptIds, long[] sampleIds, int[] positions) {
        this.name = name;
        this.d = d;
        this.data = data;
        this.inMemory = new ArrayActivations(data, sampleIds.length, d, name);
        this.promptIds = promptIds;
        this.sampleIds = sampleIds;
        this.positions = positions;
    }

    /** Reads layer {@code layer} of the store at {@code store}; refuses an unfinished store or a layer it lacks. */
    public static StoreActivations load(String store, int layer) throws IOException {
        Configuration conf = HadoopFiles.storeConf(new Configuration());
        StoreLayout layout = new StoreLayout(store);
        if (!HadoopFiles.exists(layout.manifest(), conf)) {
            throw new IllegalArgumentException(store + ": no manifest.json, so not a finished harvest (run or resume bin/dfc harvest)");
        }
        JsonNode manifest = JSON.readTree(HadoopFiles.read(layout.manifest(), conf));
        boolean hasLayer = false;
        for (JsonNode l : manifest.path("layers")) hasLayer |= l.asInt() == layer;
        if (!hasLayer) throw new IllegalArgumentException(layout.manifest() + ": the store has no layer " + layer + " (layers " + manifest.path("layers") + ")");
        ActivationCodec codec = ActivationCodec.parse(manifest.path("dtype").asText());
        int d = manifest.path("d_model").asInt();
        List<Path> files = new ArrayList<>(HadoopFiles.list(layout.activationLayer(layer), conf).stream()
                .filter(p -> p.getName().endsWith(".parquet")).toList());
        files.sort(Comparator.comparing(Path::getName));
        List<ActivationRow> rows = new ArrayList<>();
        long read = 0;
        for (Path f : files) {
            for (ActivationRow r : ActivationFileReader.read(f, layer, codec, d, conf)) {
                read++;
                if (!r.sink()) rows.add(r);
            }
        }
        long expected = manifest.path("rows").path(Integer.toString(layer)).asLong(-1);
        if (read != expected) {
            throw new IllegalArgumentException(layout.activationLayer(layer) + ": holds " + read + " rows but the manifest says "
                    + expected + " (store damaged? check it with bin/dfc harvest validate)");
        }
        float[] data = new float[Math.multiplyExact(rows.size(), 2 * d)];
        List<String> ids = new ArrayList<>(rows.size());
        long[] sampleIds = new long[rows.size()];
        int[] positions = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            ActivationRow r = rows.get(i);
            System.arraycopy(r.a(), 0, data, i * 2 * d, d);
            System.arraycopy(r.b(), 0, data, i * 2 * d + d, d);
            ids.add(r.promptId());
            sampleIds[i] = r.sampleId();
            positions[i] = r.position();
        }
        return new StoreActivations(layout.activationLayer(layer).toString(), d, data, List.copyOf(ids), sampleIds, positions);
    }

    @Override
    public int rows() {
        return inMemory.rows();
    }

    @Override
    public int dim() {
        return d;
    }

    @Override
    public void read(int[] rowIds, int count, float[] out) {
        inMemory.read(rowIds, count, out);
    }

    @Override
    public void readRange(int start, int count, float[] out) {
        inMemory.readRange(start, count, out);
    }

    @Override
    public String describe() {
        return name;
    }

    public String promptId(int row) {
        return promptIds.get(row);
    }

    public long sampleId(int row) {
        return sampleIds[row];
    }

    /** Token position of the row in its prompt's sequence. */
    public int position(int row) {
        return positions[row];
    }

    /** The rows whose prompt id passes {@code keep}, in store order, as an in-memory source. */
    public ArrayActivations select(Predicate<String> keep, String label) {
        int w = 2 * d, n = 0;
        float[] out = new float[data.length];
        for (int r = 0; r < rows(); r++) {
            if (keep.test(promptIds.get(r))) System.arraycopy(data, r * w, out, n++ * w, w);
        }
        return new ArrayActivations(java.util.Arrays.copyOf(out, n * w), n, d, name + " (" + label + ")");
    }
}
