package org.dfcspark.organism;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;

import java.util.List;

/**
 * Weighted next-token negative log-likelihood of whole sequences under a model: for row b,
 * {@code sum_j w_b[j] * -log p(x_j | x_<j)} over token indices j >= 1 of the unpadded sequence.
 * One forward over a left-padded batch; works under autograd (training) or not (evaluation).
 */
public final class SequenceLoss {
    private SequenceLoss() {}

    /**
     * Per-row weighted NLL sums, shape (B). {@code weights.get(b)[j]} weighs the prediction of token j
     * of sequence b (index 0 is never predicted and is ignored).
     */
    public static NDArray rowNll(NDManager scope, Qwen2Model model, List<int[]> seqs, List<float[]> weights, int padId) {
        TokenBatch batch = TokenBatch.leftPadded(seqs, padId);
        int bsz = batch.batchSize(), width = batch.width();
        int[] targets = new int[bsz * width];
        float[] w = new float[bsz * width];
        for (int b = 0; b < bsz; b++) {
            int[] s = seqs.get(b);
            float[] wb = weights.get(b);
            if (wb.length != s.length) {
                throw new IllegalArgumentException("row " + b + ": " + wb.length + " weights for " + s.length + " tokens");
            }
            int pad = width - s.length;
            for (int j = 1; j < s.length; j++) {
                int col = pad + j - 1; // the column whose logits predict token j
                targets[b * width + col] = s[j];
                w[b * width + col] = wb[j];
            }
        }
        NDArray logits = model.forward(scope, batch, List.of()).logits(); // (B, T, V)
        NDArray t = scope.create(targets, new Shape(bsz, width, 1)).toType(ai.djl.ndarray.types.DataType.INT64, false);
        NDArray logp = logits.logSoftmax(-1).gather(t, -1).reshape(bsz, width);
        return logp.mul(scope.create(w, new Shape(bsz, width))).sum(new int[] {1}).neg();
    }

    /** Weights 1 for every predicted token from index {@code from} on (0 = all tokens). */
    public static float[] onesFrom(int length, int from) {
        float[] w = new float[length];
        for (int j = Math.max(1, from); j < length; j++) w[j] = 1f;
        return w;
    }
}
