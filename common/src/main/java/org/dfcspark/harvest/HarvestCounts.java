package org.dfcspark.harvest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a harvest (or one shard of it) did: prompts and tokens processed, and per layer the rows written and the
 * positions dropped or flagged. Public fields so it round-trips through JSON (shard markers, the manifest).
 */
public final class HarvestCounts {
    /** At most this many non-finite examples are kept (the counts are always complete). */
    public static final int MAX_EXAMPLES = 20;

    /** Prompts processed (including those that yielded no position). */
    public long prompts;
    /** Prompts whose token sequence was cut to the maximum length. */
    public long truncated;
    /** Prompts with nothing to harvest (no gold answer in assistant mode, or every position excluded). */
    public long empty;
    /** Tokens forwarded through each model (real tokens, no padding). */
    public long tokens;
    /** layer -> counts. */
    public TreeMap<Integer, Layer> layers = new TreeMap<>();
    /** A few of the rows that were not written because of NaN/Inf: "prompt P position I layer L model A: NaN". */
    public List<String> nonfiniteExamples = new ArrayList<>();

    /** Per-layer counts of rows written and positions not written. */
    public static final class Layer {
        /** Rows written to the store. */
        public long rows;
        /** Sink positions: dropped (policy drop) or written with sink = true (policy flag). */
        public long sinks;
        /** Positions where model A or B produced NaN/Inf: never written. */
        public long nonfinite;
        /** Finite positions whose values do not fit the stored dtype (|x| >= 65520 in f16): never written. */
        public long overflow;

        void merge(Layer o) {
            rows += o.rows;
            sinks += o.sinks;
            nonfinite += o.nonfinite;
            overflow += o.overflow;
        }
    }

    public Layer layer(int layer) {
        return layers.computeIfAbsent(layer, l -> new Layer());
    }

    public void noteNonfinite(String example) {
        if (nonfiniteExamples.size() < MAX_EXAMPLES) nonfiniteExamples.add(example);
    }

    public HarvestCounts merge(HarvestCounts o) {
        prompts += o.prompts;
        truncated += o.truncated;
        empty += o.empty;
        tokens += o.tokens;
        for (Map.Entry<Integer, Layer> e : o.layers.entrySet()) layer(e.getKey()).merge(e.getValue());
        for (String ex : o.nonfiniteExamples) noteNonfinite(ex);
        return this;
    }

    public long rows() {
        return layers.values().stream().mapToLong(l -> l.rows).sum();
    }
}
