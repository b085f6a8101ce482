package org.dfcspark.model;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keys and values of prompt prefixes, kept across generations of the same model (least recently used first out,
 * within a byte budget). An evaluation generates every prompt once per crosscoder, and the clean prefix (all but the
 * last prompt token, through each model) is the same for all of them: a sweep's 48 crosscoders computed it 48 times
 * per prompt. With a cache, {@link Generator#generateFromSharedPrefix} computes it once per prompt and model, and
 * copies it from here afterwards (the same numbers: greedy output is unchanged). Opt in per generator; thread-safe
 * (concurrent tasks of one executor share {@link #shared()}): copies and evictions hold the lock, so an entry is never
 * closed while it is read.
 */
public final class PrefixCache {
    /** The executor-wide cache, {@value #SHARED_MB} MB of the model's device memory. */
    public static final int SHARED_MB = 256;
    private static final PrefixCache SHARED = new PrefixCache((long) SHARED_MB << 20);

    private record Key(Qwen2Model model, int[] prefix) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.model == model && Arrays.equals(k.prefix, prefix);
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(model) + Arrays.hashCode(prefix);
        }
    }

    private record Entry(KvCache kv, NDManager owner, long bytes) {}

    private final long budget;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    public PrefixCache(long budgetBytes) {
        if (budgetBytes < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budgetBytes);
        this.budget = budgetBytes;
    }

    public static PrefixCache shared() {
        return SHARED;
    }

    /** Copies the cached prefix into every row of {@code target}; false (a miss) when it is not cached. */
    synchronized boolean copyInto(Qwen2Model model, int[] prefix, KvCache target) {
        Entry e = entries.get(new Key(model, prefix));
        if (e == null) {
            misses++;
            return false;
        }
        hits++;
        target.copyPrefixToEveryRow(e.kv, prefix.length);
        return true;
    }

    /**
     * Keeps a one-row cache of {@code prefix} (its arrays in {@code owner}, which this cache now closes), evicting the
     * least recently used entries to stay within the budget; a prefix larger than the budget is not kept.
     */
    synchronized void keep(Qwen2Model model, int[] prefix, KvCache kv, NDManager owner) {
        long size = kv.bytes();
        Key key = new Key(model, prefix.clone());
        if (size > budget || entries.containsKey(key)) { // too big, or another task kept the same prefix meanwhile
            owner.close();
            return;
        }
        entries.put(key, new Entry(kv, owner, size));
        bytes += size;
        for (Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator(); bytes > budget && it.hasNext(); ) {
            Entry old = it.next().getValue();
            it.remove();
            bytes -= old.bytes;
            old.owner.close();
        }
    }

    /** Drops every entry (their memory freed). */
    public synchronized void clear() {
        for (Entry e : entries.values()) e.owner.close();
        entries.clear();
        bytes = 0;
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }
}
