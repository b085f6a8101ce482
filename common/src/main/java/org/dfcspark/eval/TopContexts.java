package org.dfcspark.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.SparseCodes;

/**
 * The k highest activations of each tracked feature over a stream of prompts, with a window of tokens around each
 * and the feature's activation on every token of the window (for feature dashboards). Ties are broken by prompt id,
 * then position, so the result does not depend on the order prompts arrive in; two instances over different prompts
 * {@link #merge} into the instance over both (a Spark aggregation).
 */
public final class TopContexts implements Serializable {
    /** One context: the feature's activation at {@code position} of prompt {@code promptId}, and its window. */
    public record Context(long promptId, int position, float activation, int windowStart, int[] windowTokens,
                          float[] windowActivations) implements Serializable {}

    private static final Comparator<Context> ORDER = Comparator.comparingDouble((Context c) -> -c.activation())
            .thenComparingLong(Context::promptId).thenComparingInt(Context::position);

    private final int[] features;
    private final int k;
    private final int radius;
    private final Map<Integer, List<Context>> top = new LinkedHashMap<>();

    /** Tracks {@code features}, keeping {@code k} contexts each with {@code radius} tokens either side. */
    public TopContexts(int[] features, int k, int radius) {
        if (k < 1 || radius < 0) throw new IllegalArgumentException("need k >= 1 and radius >= 0, got k = " + k + ", radius = " + radius);
        this.features = features.clone();
        this.k = k;
        this.radius = radius;
        for (int f : features) {
            if (top.put(f, new ArrayList<>()) != null) throw new IllegalArgumentException("feature " + f + " is listed twice");
        }
    }

    /**
     * One prompt: its tokens and {@code activations[position][i]} = activation of {@code features[i]} there. Only
     * positive activations become contexts.
     */
    public void add(long promptId, int[] tokens, float[][] activations) {
        if (activations.length != tokens.length) throw new IllegalArgumentException(tokens.length + " tokens but " + activations.length + " activation rows");
        for (int i = 0; i < features.length; i++) {
            List<Context> list = top.get(features[i]);
            for (int p = 0; p < tokens.length; p++) {
                float v = activations[p][i];
                if (!(v > 0)) continue;
                int from = Math.max(0, p - radius), to = Math.min(tokens.length, p + radius + 1);
                float[] window = new float[to - from];
                for (int q = from; q < to; q++) window[q - from] = activations[q][i];
                offer(list, new Context(promptId, p, v, from, java.util.Arrays.copyOfRange(tokens, from, to), window));
            }
        }
    }

    /** Adds the contexts of {@code other} (which tracks the same features with the same k and radius). */
    public void merge(TopContexts other) {
        if (!java.util.Arrays.equals(features, other.features) || k != other.k || radius != other.radius) {
            throw new IllegalArgumentException("cannot merge top contexts of different features, k or radius");
        }
        for (int f : features) for (Context c : other.top.get(f)) offer(top.get(f), c);
    }

    /** The feature's contexts, highest activation first. */
    public List<Context> top(int feature) {
        List<Context> list = top.get(feature);
        if (list == null) throw new IllegalArgumentException("feature " + feature + " is not tracked");
        return List.copyOf(list);
    }

    /**
     * The tracked features' activations at every position of one prompt, {@code [position][i]}, from the two models'
     * raw residuals at those positions (encoded as pairs with the crosscoder's normalisation).
     */
    public static float[][] activations(Crosscoder cc, float[][] a, float[][] b, int[] features, int threads) {
        if (a.length != b.length) throw new IllegalArgumentException(a.length + " A positions but " + b.length + " B positions");
        int d = cc.activationDim(), n = a.length;
        for (int f : features) {
            if (f < 0 || f >= cc.dictSize()) throw new IllegalArgumentException("feature " + f + " is outside the dictionary 0.." + (cc.dictSize() - 1));
        }
        float[] pairs = new float[n * 2 * d];
        for (int p = 0; p < n; p++) {
            if (a[p].length != d || b[p].length != d) throw new IllegalArgumentException("position " + p + " is not " + d + "-dimensional");
            System.arraycopy(a[p], 0, pairs, p * 2 * d, d);
            System.arraycopy(b[p], 0, pairs, p * 2 * d + d, d);
        }
        float[][] out = new float[n][features.length];
        if (n == 0) return out;
        SparseCodes codes = new BatchStep(cc, threads).encode(pairs, n).features();
        for (int p = 0; p < n; p++) {
            for (int e = 0; e < codes.count(p); e++) {
                for (int i = 0; i < features.length; i++) if (features[i] == codes.feature(p, e)) out[p][i] = codes.value(p, e);
            }
        }
        return out;
    }

    private void offer(List<Context> list, Context c) {
        int at = 0;
        while (at < list.size() && ORDER.compare(list.get(at), c) <= 0) at++;
        if (at >= k) return;
        list.add(at, c);
        if (list.size() > k) list.remove(list.size() - 1);
    }
}
