package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.ActivationRow;
import org.dfcspark.jobs.work.HadoopFiles;

/**
 * Writes one shard file of one layer. Rows go to a hidden temporary file; {@link #commit()} renames it to its
 * final, deterministic name, so a retried or restarted shard replaces its file instead of adding a second one.
 */
public final class ActivationFileWriter implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    private final Configuration conf;
    private final ActivationCodec codec;
    private final int dModel;
    private final ParquetWriter<Group> writer;
    private final SimpleGroupFactory groups = new SimpleGroupFactory(ActivationSchema.PARQUET);
    private long rows;
    private boolean closed;

    public ActivationFileWriter(Path target, String attemptTag, ActivationCodec codec, int dModel, int layer,
                                Configuration conf) throws IOException {
        this.target = target;
        this.tmp = HadoopFiles.tempFor(target, attemptTag);
        this.conf = conf;
        this.codec = codec;
        this.dModel = dModel;
        HadoopFiles.fs(target, conf).mkdirs(target.getParent());
        this.writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(tmp, conf))
                .withType(ActivationSchema.PARQUET)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                // Vectors never repeat: a dictionary would only cost time.
                .withDictionaryEncoding(ActivationSchema.A, false)
                .withDictionaryEncoding(ActivationSchema.B, false)
                .withExtraMetaData(Map.of(
                        ActivationSchema.META_FORMAT, ActivationSchema.FORMAT,
                        ActivationSchema.META_DTYPE, codec.id(),
                        ActivationSchema.META_D_MODEL, Integer.toString(dModel),
                        ActivationSchema.META_LAYER, Integer.toString(layer)))
                .build();
    }

    public void write(ActivationRow r) throws IOException {
        if (r.a().length != dModel || r.b().length != dModel) {
            throw new IllegalArgumentException("row " + r.sampleId() + ": vectors of length " + r.a().length + "/" + r.b().length
                    + ", expected " + dModel);
        }
        Group g = groups.newGroup()
                .append(ActivationSchema.SAMPLE_ID, r.sampleId())
                .append(ActivationSchema.PROMPT_ID, r.promptId())
                .append(ActivationSchema.SOURCE, r.source())
                .append(ActivationSchema.POSITION, r.position())
                .append(ActivationSchema.TOKEN_ID, r.tokenId());
        if (r.inToolCall() != null) g.append(ActivationSchema.IN_TOOL_CALL, r.inToolCall());
        g.append(ActivationSchema.SINK, r.sink())
                .append(ActivationSchema.A, Binary.fromConstantByteArray(codec.encode(r.a())))
                .append(ActivationSchema.B, Binary.fromConstantByteArray(codec.encode(r.b())));
        writer.write(g);
        rows++;
    }

    public long rows() {
        return rows;
    }

    /** Closes the file and publishes it under its final name. */
    public void commit() throws IOException {
        closeWriter();
        HadoopFiles.publish(tmp, target, false, conf);
    }

    /** Discards the temporary file (on failure); a no-op after {@link #commit()}. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        try {
            closeWriter();
        } finally {
            HadoopFiles.fs(tmp, conf).delete(tmp, false);
        }
    }

    private void closeWriter() throws IOException {
        if (!closed) {
            closed = true;
            writer.close();
        }
    }
}
