package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModelCacheTest {
    @AfterEach
    void clear() {
        ModelCache.clear();
    }

    @Test
    void threadsShareOneLoadedCopyAndComputeAlike() throws Exception {
        int[] ids = TinyFixture.ints("seq2.input_ids");
        float[] expected = TinyFixture.floats("f32.seq2.logits");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Qwen2Model>> loads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // the same directory spelled two ways
                Path dir = i % 2 == 0 ? TinyFixture.f32Dir() : TinyFixture.f32Dir().resolve("..").resolve("qwen2-tiny");
                loads.add(pool.submit(() -> {
                    Qwen2Model m = ModelCache.get(dir, Device.cpu());
                    try (NDManager scope = NDManager.newBaseManager(); Qwen2Model unused = m) { // close() is a no-op
                        TinyFixture.assertClose(expected, m.forward(scope, TokenBatch.leftPadded(List.of(ids), 0), List.of())
                                .logits().toFloatArray(), "thread forward");
                    }
                    return m;
                }));
            }
            Qwen2Model first = loads.get(0).get();
            for (Future<Qwen2Model> f : loads) assertSame(first, f.get());
            assertEquals(1, ModelCache.size());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void failedLoadIsNotCached(@org.junit.jupiter.api.io.TempDir Path tmp) {
        assertThrows(ModelFormatException.class, () -> ModelCache.get(tmp, Device.cpu()));
        assertEquals(0, ModelCache.size());
    }
}
