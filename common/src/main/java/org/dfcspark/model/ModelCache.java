package org.dfcspark.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * One loaded copy of a model per JVM per (directory, device, dtype), shared by every thread (e.g. the tasks of a
 * Spark executor). The first caller loads; concurrent callers wait for that load instead of loading again. A failed
 * load is not cached. Cached models live until {@link #clear()}; their {@code close()} does nothing.
 */
public final class ModelCache {
    private record Key(Path dir, Device device, DataType dtype) {}

    private static final ConcurrentHashMap<Key, CompletableFuture<Qwen2Model>> MODELS = new ConcurrentHashMap<>();

    private ModelCache() {}

    public static Qwen2Model get(Path dir, Device device) throws IOException {
        return get(dir, device, DataType.FLOAT32);
    }

    public static Qwen2Model get(Path dir, Device device, DataType dtype) throws IOException {
        Path real = Files.exists(dir) ? dir.toRealPath() : dir.toAbsolutePath().normalize();
        Key key = new Key(real, device, dtype);
        CompletableFuture<Qwen2Model> mine = new CompletableFuture<>();
        CompletableFuture<Qwen2Model> existing = MODELS.putIfAbsent(key, mine);
        if (existing == null) {
            try {
                Qwen2Model m = Qwen2Model.load(real, device, dtype);
                m.markShared();
                mine.complete(m);
            } catch (IOException | RuntimeException | Error e) {
                MODELS.remove(key, mine);
                mine.completeExceptionally(e);
            }
            existing = mine;
        }
        try {
            return existing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading " + real, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new UncheckedIOException(new IOException(c));
        }
    }

    /** Number of models held. */
    public static int size() {
        return MODELS.size();
    }

    /** Frees every cached model (callers must no longer use them). */
    public static synchronized void clear() {
        for (CompletableFuture<Qwen2Model> f : MODELS.values()) {
            Qwen2Model m = f.getNow(null);
            if (m != null) m.release();
        }
        MODELS.clear();
    }
}
