package org.dfcspark.jobs.train;

import java.io.IOException;
import java.io.Serializable;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.SafeTensorsActivations;
import org.dfcspark.dfc.train.SourceUnits;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.UnitSource;

/**
 * Where a training run's rows come from, as a value the driver ships to the replicas: a harvest store's layer (its
 * row groups, {@link StoreLayerIndex}) or a safetensors file {@code (N, 2, d)} for small experiments (units of
 * {@link #SAFETENSORS_UNIT_ROWS} consecutive rows; every replica maps the file and reads only its units).
 */
public sealed interface TrainData extends Serializable {
    int SAFETENSORS_UNIT_ROWS = 1024;

    int dim();

    int units();

    long rows();

    String describe();

    /** Rows with NaN/Inf known before training (counted by the driver where that is cheap; stores never hold any). */
    long badRows();

    /** Opened on a replica. */
    UnitSource open() throws IOException;

    /** The crosscoder's normalisation, computed on the driver (null for {@code normalization = none}). */
    Normalization normalization(TrainConfig cfg) throws IOException;

    /** The store's layer at {@code cfg.hook()}, or a safetensors file when {@code cfg.store()} names one. */
    static TrainData of(TrainConfig cfg) throws IOException {
        if (cfg.store() == null) throw new IllegalArgumentException("no store given (--store DIR, or store = ... in the config)");
        if (isSafetensors(cfg.store())) {
            try (SafeTensorsActivations s = SafeTensorsActivations.open(cfg.store())) {
                return new Safetensors(cfg.store(), s.dim(), s.rows(), nonFiniteRows(s));
            }
        }
        if (cfg.hook() == null) throw new IllegalArgumentException("no hook given (--hook blocks.L.hook_resid_post)");
        return new Store(StoreLayerIndex.open(cfg.store(), cfg.hook()));
    }

    private static long nonFiniteRows(SafeTensorsActivations s) throws IOException {
        int w = 2 * s.dim(), chunk = Math.max(1, (1 << 20) / w);
        float[] buf = new float[chunk * w];
        long bad = 0;
        for (int start = 0; start < s.rows(); start += chunk) {
            int n = Math.min(chunk, s.rows() - start);
            s.readRange(start, n, buf);
            for (int r = 0; r < n; r++) {
                for (int i = r * w; i < (r + 1) * w; i++) {
                    if (!Float.isFinite(buf[i])) {
                        bad++;
                        break;
                    }
                }
            }
        }
        return bad;
    }

    static boolean isSafetensors(String spec) {
        String file = spec.contains("#") ? spec.substring(0, spec.indexOf('#')) : spec;
        return file.endsWith(".safetensors");
    }

    record Store(StoreLayerIndex index) implements TrainData {
        public int dim() {
            return index.dModel();
        }

        public int units() {
            return index.units().size();
        }

        public long badRows() {
            return 0;
        }

        public long rows() {
            return index.rows();
        }

        public String describe() {
            return index.store() + " " + index.hook() + " (" + index.rows() + " rows in " + units() + " row groups"
                    + (index.shuffledCopy() ? ", shuffled copy" : "") + ")";
        }

        public UnitSource open() {
            return new StoreUnits(index);
        }

        public Normalization normalization(TrainConfig cfg) throws IOException {
            Normalization.Scheme s = cfg.normalizationScheme();
            return s == null ? null : index.normalization(s, cfg.coupling() == org.dfcspark.dfc.Coupling.TIED);
        }
    }

    record Safetensors(String spec, int dim, long rows, long badRows) implements TrainData {
        public int units() {
            return (int) ((rows + SAFETENSORS_UNIT_ROWS - 1) / SAFETENSORS_UNIT_ROWS);
        }

        public String describe() {
            return spec + " (" + rows + " rows)";
        }

        public UnitSource open() throws IOException {
            return new SourceUnits(SafeTensorsActivations.open(spec), SAFETENSORS_UNIT_ROWS);
        }

        public Normalization normalization(TrainConfig cfg) throws IOException {
            Normalization.Scheme s = cfg.normalizationScheme();
            if (s == null) return null;
            try (SafeTensorsActivations src = SafeTensorsActivations.open(spec)) {
                return Normalization.fit(src, s, cfg.coupling() == org.dfcspark.dfc.Coupling.TIED, Double.NaN);
            }
        }
    }
}
