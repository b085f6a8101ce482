package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one hook point's residual of a model fed a token stream from outside, one new token per row at a time
 * (teacher forcing with a KV cache): the way to run a second model in lockstep with a {@link Generator}, e.g. to
 * get model B's residual at every token model A generates. Only the layers up to the hook are computed. Rows
 * follow {@link Generator}'s layout: left-padded prompts, the k-th fed token of row b at position length_b + k.
 */
public final class ResidualReader implements AutoCloseable {
    private final Qwen2Model model;
    private final HookPoint hook;
    private final NDManager manager;
    private final KvCache cache;
    private final int width;
    private final int[] lengths;
    private final List<float[][]> promptResiduals = new ArrayList<>();
    private int fed;

    /** Forwards the prompts (left-padded) and keeps room for {@code maxFed} further tokens per row. */
    public ResidualReader(Qwen2Model model, HookPoint hook, List<int[]> prompts, int padId, int maxFed) {
        if (hook.site() == HookPoint.Site.FINAL_NORM) throw new IllegalArgumentException("a residual reader reads block hooks, not " + hook);
        hook.checkFits(model.config().numHiddenLayers());
        this.model = model;
        this.hook = hook;
        TokenBatch batch = TokenBatch.leftPadded(prompts, padId);
        batch.checkVocab(model.config().vocabSize());
        this.width = batch.width();
        this.lengths = batch.lengths();
        this.manager = NDManager.newBaseManager(model.device());
        this.cache = new KvCache(manager, model.config(), lengths.length, width + Math.max(maxFed, 0), model.dataType());
        try (NDManager step = manager.newSubManager()) {
            List<Intervention> read = List.of(Intervention.capture(hook, Positions.all()));
            NDArray h = forward(step, batch.idsArray(step), batch.positionArray(step),
                    model.attentionMask(step, lengths, width, 0, width), 0, new StepHooks(read, true, width, lengths, model.config()));
            float[] flat = h.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            int d = model.config().hiddenSize();
            for (int b = 0; b < lengths.length; b++) {
                float[][] r = new float[lengths[b]][];
                for (int t = 0; t < lengths[b]; t++) {
                    int col = batch.padCount(b) + t;
                    r[t] = Arrays.copyOfRange(flat, (b * width + col) * d, (b * width + col + 1) * d);
                }
                promptResiduals.add(r);
            }
        }
    }

    /** Per row, {@code [prompt position][hidden]} at the hook (no padding). */
    public List<float[][]> promptResiduals() {
        return promptResiduals;
    }

    /** Tokens fed so far per row after the prompt. */
    public int fed() {
        return fed;
    }

    /** Feeds one token per row and returns each row's residual at the hook for it. */
    public float[][] feed(int[] tokens) {
        if (tokens.length != lengths.length) throw new IllegalArgumentException("need one token per row (" + lengths.length + "), got " + tokens.length);
        if (width + fed >= cache.capacity()) throw new IllegalStateException("the reader was sized for " + (cache.capacity() - width) + " fed tokens");
        try (NDManager step = manager.newSubManager()) {
            long[] ids = new long[tokens.length], pos = new long[tokens.length];
            for (int b = 0; b < tokens.length; b++) {
                if (tokens[b] < 0 || tokens[b] >= model.config().vocabSize()) throw new IllegalArgumentException("token id " + tokens[b] + " is outside the vocabulary");
                ids[b] = tokens[b];
                pos[b] = lengths[b] + fed;
            }
            List<Intervention> read = List.of(Intervention.capture(hook, Positions.generated()));
            NDArray h = forward(step, step.create(ids, new Shape(tokens.length, 1)), step.create(pos, new Shape(tokens.length, 1)),
                    model.attentionMask(step, lengths, width, width + fed, 1), width + fed,
                    new StepHooks(read, false, width, lengths, model.config()));
            float[] flat = h.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            int d = model.config().hiddenSize();
            float[][] out = new float[tokens.length][];
            for (int b = 0; b < tokens.length; b++) out[b] = Arrays.copyOfRange(flat, b * d, (b + 1) * d);
            fed++;
            return out;
        }
    }

    private NDArray forward(NDManager step, NDArray ids, NDArray pos, NDArray mask, int cacheStart, StepHooks hooks) {
        Map<HookPoint, NDArray> caps = new LinkedHashMap<>();
        model.run(step, ids, pos, mask, cache, cacheStart, hooks, caps, Qwen2Model.Logits.NONE);
        return caps.get(hook);
    }

    @Override
    public void close() {
        manager.close();
    }
}
