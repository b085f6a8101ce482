package org.dfcspark.harvest;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.model.ForwardResult;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

/**
 * The harvest's compute step, independent of Spark: runs models A and B on the same left-padded batch of token
 * ids, reads the residual stream after each requested decoder layer ({@code blocks.L.hook_resid_post}), and turns
 * the planned positions into {@link ActivationRow}s. Sink positions are dropped or flagged; positions with
 * NaN/Inf, or with values the stored dtype cannot hold, are counted and never emitted.
 */
public final class PairedHarvester {
    /** Receives the rows of a batch, layer by layer. */
    @FunctionalInterface
    public interface RowSink {
        void accept(ActivationRow row) throws IOException;
    }

    private final Qwen2Model modelA;
    private final Qwen2Model modelB;
    private final List<Integer> layers;
    private final ActivationCodec codec;
    private final SinkDetector sinks;
    private final SinkPolicy sinkPolicy;
    private final int padId;
    private final int d;
    private final List<Intervention> captures = new ArrayList<>();

    public PairedHarvester(Qwen2Model modelA, Qwen2Model modelB, List<Integer> layers, ActivationCodec codec,
                           SinkDetector sinks, SinkPolicy sinkPolicy, int padId) {
        this.modelA = modelA;
        this.modelB = modelB;
        this.layers = List.copyOf(layers);
        this.codec = codec;
        this.sinks = sinks;
        this.sinkPolicy = sinkPolicy;
        this.padId = padId;
        this.d = modelA.config().hiddenSize();
        int n = modelA.config().numHiddenLayers();
        for (int layer : layers) {
            if (layer < 0 || layer >= n) throw new IllegalArgumentException("layer " + layer + " outside [0, " + n + ") of the models");
            captures.add(Intervention.capture(HookPoint.residPost(layer), Positions.all()));
        }
    }

    /**
     * Harvests one batch (ideally of similar lengths: the batch is padded to its longest sequence). Sequences
     * with no planned position are skipped without a forward; all are counted in {@code counts.prompts}.
     */
    public void harvest(List<PreparedSequence> batch, RowSink out, HarvestCounts counts) throws IOException {
        forward(batch, counts).emit(out, counts);
    }

    /**
     * The first half of {@link #harvest}: both models' forwards, their residuals copied to the JVM. It counts
     * prompts, tokens, truncated and empty sequences; {@link Forwarded#emit} counts the rest, so the two halves may run
     * on two threads (the harvest writes one batch while the next is forwarded).
     */
    public Forwarded forward(List<PreparedSequence> batch, HarvestCounts counts) {
        List<PreparedSequence> work = new ArrayList<>();
        for (PreparedSequence s : batch) {
            counts.prompts++;
            if (s.truncated()) counts.truncated++;
            if (s.positions().length == 0) counts.empty++;
            else work.add(s);
        }
        if (work.isEmpty()) return new Forwarded(work, null, null, 0);
        List<int[]> ids = new ArrayList<>();
        for (PreparedSequence s : work) {
            ids.add(s.ids());
            counts.tokens += s.length();
        }
        TokenBatch tokens = TokenBatch.leftPadded(ids, padId);
        return new Forwarded(work, residuals(modelA, tokens), residuals(modelB, tokens), tokens.width());
    }

    /** A forwarded batch: per layer, both models' (B, T, d) residuals, waiting to be cut into rows. */
    public final class Forwarded {
        private final List<PreparedSequence> work;
        private final float[][] a, b;
        private final int width;

        private Forwarded(List<PreparedSequence> work, float[][] a, float[][] b, int width) {
            this.work = work;
            this.a = a;
            this.b = b;
            this.width = width;
        }

        /** The batch's rows, layer by layer and sequence by sequence; counts rows, sinks, NaN/Inf and overflow. */
        public void emit(RowSink out, HarvestCounts counts) throws IOException {
            for (int li = 0; li < layers.size(); li++) {
                for (int row = 0; row < work.size(); row++) {
                    PairedHarvester.this.emit(work.get(row), layers.get(li), a[li], b[li], row, width, out, counts);
                }
            }
        }
    }

    /** Per layer, the (B, T, d) residual stream as one float array; every NDArray freed before returning. */
    private float[][] residuals(Qwen2Model model, TokenBatch tokens) {
        float[][] out = new float[layers.size()][];
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            ForwardResult r = model.forward(scope, tokens, captures, Qwen2Model.Logits.NONE);
            for (int li = 0; li < layers.size(); li++) {
                NDArray c = r.captured(HookPoint.residPost(layers.get(li)));
                out[li] = c.toType(DataType.FLOAT32, false).toFloatArray();
            }
        }
        return out;
    }

    private void emit(PreparedSequence s, int layer, float[] a, float[] b, int row, int width, RowSink out,
                      HarvestCounts counts) throws IOException {
        int n = s.length();
        int first = row * width + (width - n); // left padding: real tokens are the last n columns
        boolean[] sinkA = sinks.sinks(norms(a, first, n));
        boolean[] sinkB = sinks.sinks(norms(b, first, n));
        HarvestCounts.Layer lc = counts.layer(layer);
        int[] positions = s.positions();
        for (int k = 0; k < positions.length; k++) {
            int p = positions[k];
            float[] va = slice(a, first + p);
            float[] vb = slice(b, first + p);
            boolean finiteA = finite(va);
            if (!finiteA || !finite(vb)) {
                lc.nonfinite++;
                counts.noteNonfinite("prompt " + s.promptId() + " position " + p + " layer " + layer + " model "
                        + (finiteA ? "B" : "A") + ": NaN/Inf");
                continue;
            }
            if (!codec.representable(va) || !codec.representable(vb)) {
                lc.overflow++;
                continue;
            }
            boolean sink = sinkA[p] || sinkB[p];
            if (sink) {
                lc.sinks++;
                if (sinkPolicy == SinkPolicy.DROP) continue;
            }
            Boolean inToolCall = s.toolCallKnown() ? s.inToolCall()[k] : null;
            out.accept(new ActivationRow(layer, PreparedSequence.sampleId(s.ordinal(), p), s.promptId(), s.source(), p,
                    s.ids()[p], inToolCall, sink, va, vb));
            lc.rows++;
        }
    }

    private float[] norms(float[] x, int firstVector, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int base = (firstVector + i) * d;
            double sq = 0;
            for (int j = 0; j < d; j++) sq += (double) x[base + j] * x[base + j];
            out[i] = (float) Math.sqrt(sq);
        }
        return out;
    }

    private float[] slice(float[] x, int vector) {
        float[] v = new float[d];
        System.arraycopy(x, vector * d, v, 0, d);
        return v;
    }

    private static boolean finite(float[] v) {
        for (float f : v) if (!Float.isFinite(f)) return false;
        return true;
    }
}
