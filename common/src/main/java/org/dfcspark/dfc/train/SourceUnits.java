package org.dfcspark.dfc.train;

import java.io.IOException;
import org.dfcspark.dfc.ActivationSource;

/** An {@link ActivationSource} (a safetensors file, rows in memory) cut into units of consecutive rows. */
public final class SourceUnits implements UnitSource {
    private final ActivationSource source;
    private final int unitRows;
    private long bad;
    private final java.util.BitSet counted = new java.util.BitSet();

    @Override
    public void close() throws IOException {
        if (source instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    public SourceUnits(ActivationSource source, int unitRows) {
        if (source.rows() < 1) throw new IllegalArgumentException(source.describe() + ": no rows");
        this.source = source;
        this.unitRows = unitRows;
    }

    @Override
    public int units() {
        return (source.rows() + unitRows - 1) / unitRows;
    }

    @Override
    public int dim() {
        return source.dim();
    }

    @Override
    public float[] load(int u) throws IOException {
        int start = u * unitRows, n = Math.min(unitRows, source.rows() - start), w = 2 * dim();
        float[] rows = new float[n * w];
        source.readRange(start, n, rows);
        int kept = 0;
        rows:
        for (int r = 0; r < n; r++) {
            for (int i = r * w; i < (r + 1) * w; i++) {
                if (!Float.isFinite(rows[i])) {
                    if (!counted.get(u)) bad++;
                    continue rows;
                }
            }
            if (kept != r) System.arraycopy(rows, r * w, rows, kept * w, w);
            kept++;
        }
        counted.set(u);
        return kept == n ? rows : java.util.Arrays.copyOf(rows, kept * w);
    }

    @Override
    public long badRows() {
        return bad;
    }

    @Override
    public String describe() {
        return source.describe();
    }
}
