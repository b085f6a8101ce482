package org.dfcspark.jobs.evaluate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;

/**
 * Crosscoders loaded once per JVM (an executor runs many work items of the same crosscoder), as the protocol feeds
 * them: the paper protocol drops the normalisation (raw activations in, raw reconstructions out, the paper's
 * mistake reproduced). Keeps the last few only: a sweep's crosscoders need not all fit in memory at once.
 */
public final class CrosscoderCache {
    private static final int KEEP = 4;
    private static final Map<String, Crosscoder> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Crosscoder> eldest) {
            return size() > KEEP;
        }
    };

    private CrosscoderCache() {}

    public static synchronized Crosscoder get(String dir, Protocol protocol) throws IOException {
        String key = protocol.id() + ":" + dir;
        Crosscoder cc = CACHE.get(key);
        if (cc == null) {
            cc = Checkpoint.load(Path.of(dir));
            if (!protocol.normalizes()) cc.replaceConfig(cc.config().withNormalization(null));
            CACHE.put(key, cc);
        }
        return cc;
    }
}
