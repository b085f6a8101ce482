package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.ActivationRow;

/** Reads activation Parquet files back into rows without Spark (validation, tests, small tools). */
public final class ActivationFileReader {
    private ActivationFileReader() {}

    public static ParquetMetadata footer(Path file, Configuration conf) throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            return r.getFooter();
        }
    }

    /** All rows of one file; vectors decoded with {@code codec} and checked to hold {@code dModel} values. */
    public static List<ActivationRow> read(Path file, int layer, ActivationCodec codec, int dModel, Configuration conf)
            throws IOException {
        List<ActivationRow> rows = new ArrayList<>();
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
            for (Group g = r.read(); g != null; g = r.read()) {
                Boolean inToolCall = g.getFieldRepetitionCount(ActivationSchema.IN_TOOL_CALL) == 0
                        ? null : g.getBoolean(ActivationSchema.IN_TOOL_CALL, 0);
                long sampleId = g.getLong(ActivationSchema.SAMPLE_ID, 0);
                try {
                    rows.add(new ActivationRow(layer, sampleId,
                            g.getString(ActivationSchema.PROMPT_ID, 0),
                            g.getString(ActivationSchema.SOURCE, 0),
                            g.getInteger(ActivationSchema.POSITION, 0),
                            g.getInteger(ActivationSchema.TOKEN_ID, 0),
                            inToolCall,
                            g.getBoolean(ActivationSchema.SINK, 0),
                            codec.decode(g.getBinary(ActivationSchema.A, 0).getBytes(), dModel),
                            codec.decode(g.getBinary(ActivationSchema.B, 0).getBytes(), dModel)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": sample " + sampleId + ": " + e.getMessage(), e);
                }
            }
        }
        return rows;
    }
}
