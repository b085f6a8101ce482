package org.dfcspark.jobs.train;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.jobs.harvest.ActivationSchema;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * Reads a store layer's row groups for training: only the {@code a}, {@code b} and {@code sink} columns, value by value
 * through Parquet's column readers (no per-row objects), the f16/bf16/f32 blobs decoded straight into one float array
 * per row group. Sink-flagged rows are left out (as the statistics leave them out); rows with NaN/Inf (never written by
 * a harvest, but a store can be damaged) are skipped and counted. One open file at a time, reused for its next units.
 */
public final class StoreUnits implements UnitSource, AutoCloseable {
    private final StoreLayerIndex index;
    private final Configuration conf = HadoopFiles.storeConf(new Configuration());
    private long bad;
    private final java.util.BitSet counted = new java.util.BitSet();
    private int openFile = -1;
    private ParquetFileReader reader;
    private MessageType projection;

    public StoreUnits(StoreLayerIndex index) {
        this.index = index;
    }

    @Override
    public int units() {
        return index.units().size();
    }

    @Override
    public int dim() {
        return index.dModel();
    }

    @Override
    public float[] load(int u) throws IOException {
        StoreLayerIndex.Unit unit = index.units().get(u);
        String file = index.files().get(unit.file());
        try {
            float[] rows = decode(open(unit.file()).readRowGroup(unit.rowGroup()), unit.rows(), !counted.get(u));
            counted.set(u);
            return rows;
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " (row group " + unit.rowGroup() + "): " + e.getMessage(), e);
        }
    }

    private ParquetFileReader open(int file) throws IOException {
        if (file == openFile) return reader;
        close();
        reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(index.files().get(file)), conf));
        MessageType schema = reader.getFooter().getFileMetaData().getSchema();
        projection = new MessageType("activation", schema.getType(ActivationSchema.A), schema.getType(ActivationSchema.B),
                schema.getType(ActivationSchema.SINK));
        reader.setRequestedSchema(projection);
        openFile = file;
        return reader;
    }

    private float[] decode(PageReadStore pages, long rows, boolean count) {
        int d = index.dModel(), w = 2 * d;
        ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new GroupRecordConverter(projection).getRootConverter(), projection,
                reader.getFooter().getFileMetaData().getCreatedBy());
        ColumnReader a = column(store, ActivationSchema.A), b = column(store, ActivationSchema.B), sink = column(store, ActivationSchema.SINK);
        int maxA = a.getDescriptor().getMaxDefinitionLevel(), maxB = b.getDescriptor().getMaxDefinitionLevel();
        int maxS = sink.getDescriptor().getMaxDefinitionLevel();
        float[] out = new float[Math.toIntExact(rows * w)];
        int kept = 0;
        for (long r = 0; r < rows; r++) {
            boolean isSink = sink.getCurrentDefinitionLevel() == maxS && sink.getBoolean();
            boolean hasA = a.getCurrentDefinitionLevel() == maxA, hasB = b.getCurrentDefinitionLevel() == maxB;
            if (!hasA || !hasB) throw new IllegalArgumentException("row " + r + " has a null activation vector");
            if (!isSink) {
                index.codec().decodeInto(a.getBinary().toByteBuffer(), d, out, kept * w);
                index.codec().decodeInto(b.getBinary().toByteBuffer(), d, out, kept * w + d);
                if (finite(out, kept * w, w)) kept++;
                else if (count) bad++;
            }
            a.consume();
            b.consume();
            sink.consume();
        }
        return kept * w == out.length ? out : java.util.Arrays.copyOf(out, kept * w);
    }

    private ColumnReader column(ColumnReadStoreImpl store, String name) {
        return store.getColumnReader(projection.getColumnDescription(new String[] {name}));
    }

    private static boolean finite(float[] v, int off, int len) {
        for (int i = off; i < off + len; i++) if (!Float.isFinite(v[i])) return false;
        return true;
    }

    @Override
    public long badRows() {
        return bad;
    }

    @Override
    public String describe() {
        return index.store() + " (" + index.hook() + ")";
    }

    @Override
    public void close() throws IOException {
        if (reader != null) reader.close();
        reader = null;
        openFile = -1;
    }
}
