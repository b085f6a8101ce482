package org.dfcspark.model;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What generations of the same model on the same prompt share, kept across them (least recently used first out,
 * within a byte budget): the clean prefix's keys and values (all but the last prompt token), and the prompt's residuals
 * at a hook (what an edit reads from the other model). An evaluation generates every prompt once per crosscoder, and
 * both are the same for all of them: a sweep's 48 crosscoders computed them 48 times per prompt. With a cache,
 * {@link Generator#generateFromSharedPrefix} computes a prefix once per prompt and model and copies it from here
 * afterwards (the same numbers: greedy output is unchanged). Opt in per generator; thread-safe (concurrent tasks of one
 * executor share {@link #shared()}): copies and evictions hold the lock, so an entry is never closed while it is read.
 */
public final class PrefixCache {
    /** The executor-wide cache, {@value #SHARED_MB} MB of the model's device memory. */
    public static final int SHARED_MB = 256;
    private static final PrefixCache SHARED = new PrefixCache((long) SHARED_MB << 20);

    /** A prefix's keys and values ({@code hook} null), or a prompt's residuals at {@code hook}. */
    private record Key(Qwen2Model model, HookPoint hook, int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.model == model && java.util.Objects.equals(k.hook, hook) && Arrays.equals(k.ids, ids);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * System.identityHashCode(model) + java.util.Objects.hashCode(hook)) + Arrays.hashCode(ids);
        }
    }

    private record Entry(KvCache kv, NDManager owner, float[][] residuals, long bytes) {
        void close() {
            if (owner != null) owner.close();
        }
    }

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
        Entry e = entries.get(new Key(model, null, prefix));
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
        put(new Key(model, null, prefix.clone()), new Entry(kv, owner, null, kv.bytes()));
    }

    /** {@code model}'s residuals at {@code hook} over every token of {@code prompt}, when kept; null otherwise. */
    public synchronized float[][] residuals(Qwen2Model model, HookPoint hook, int[] prompt) {
        Entry e = entries.get(new Key(model, hook, prompt));
        if (e == null) misses++;
        else hits++;
        return e == null ? null : e.residuals;
    }

    /** Keeps {@code model}'s residuals at {@code hook} over {@code prompt} (one row per token; never modified afterwards). */
    public synchronized void keepResiduals(Qwen2Model model, HookPoint hook, int[] prompt, float[][] residuals) {
        long size = 0;
        for (float[] r : residuals) size += 4L * r.length;
        put(new Key(model, hook, prompt.clone()), new Entry(null, null, residuals, size));
    }

    private void put(Key key, Entry entry) {
        if (entry.bytes > budget || entries.containsKey(key)) { // too big, or another task kept the same meanwhile
            entry.close();
            return;
        }
        entries.put(key, entry);
        bytes += entry.bytes;
        for (Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator(); bytes > budget && it.hasNext(); ) {
            Entry old = it.next().getValue();
            it.remove();
            bytes -= old.bytes;
            old.close();
        }
    }

    /** Drops every entry (their memory freed). */
    public synchronized void clear() {
        for (Entry e : entries.values()) e.close();
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
