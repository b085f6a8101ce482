package org.dfcspark.organism;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, as {@code torch.optim.AdamW}) with clipping by the global gradient
 * norm, updating a model's parameters in place. Call {@link #step} after a backward pass (outside
 * the gradient collector); it also zeroes the gradients, which libtorch otherwise accumulates.
 */
public final class AdamW implements AutoCloseable {
    private final List<NDArray> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final NDManager state;
    private final float beta1, beta2, eps;
    private int t;

    public AdamW(Map<String, NDArray> parameters, double beta1, double beta2, double eps) {
        this.params = List.copyOf(parameters.values());
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        this.state = params.get(0).getManager().newSubManager();
        // Record autograd only inside GradientCollector blocks. libtorch's grad mode is per thread and DJL turns it
        // off only on the thread that started the engine: on any other thread (e.g. after Spark tasks started the
        // engine) the in-place updates below would fail on leaves that require grad, and sampling would build graphs.
        JniUtils.setGradMode(false);
        for (NDArray p : params) {
            p.setRequiresGradient(true);
            m.add(state.zeros(p.getShape(), p.getDataType()));
            v.add(state.zeros(p.getShape(), p.getDataType()));
        }
    }

    /**
     * One update with learning rate {@code lr}: gradients are scaled down so that their global L2
     * norm is at most {@code clipNorm}; weights shrink by {@code lr * weightDecay} first.
     *
     * @return the global gradient norm before clipping; when it is not finite (inf/NaN gradients) nothing is
     *     updated, the gradients are zeroed and the non-finite norm is returned for the caller to count
     */
    public double step(double lr, double weightDecay, double clipNorm) {
        t++;
        try (NDManager tmp = state.newSubManager()) {
            List<NDArray> grads = new ArrayList<>(params.size());
            NDArray sq = null;
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                grads.add(g);
                NDArray s = g.square().sum();
                sq = sq == null ? s : sq.add(s);
            }
            double norm = Math.sqrt(sq.getFloat());
            if (!Double.isFinite(norm)) {
                // An overflowed gradient would turn every weight into NaN: skip the update, keep the weights.
                for (NDArray g : grads) g.subi(g);
                t--;
                return norm;
            }
            float scale = norm > clipNorm ? (float) (clipNorm / (norm + 1e-6)) : 1f;
            float bc1 = (float) (1 - Math.pow(beta1, t));
            float bc2 = (float) (1 - Math.pow(beta2, t));
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i), g = grads.get(i);
                if (scale != 1f) g.muli(scale);
                // In-place on the state; every new array goes to tmp (DJL attaches a result to its first operand's
                // manager, so m.div(...) would otherwise land in the long-lived state manager and leak each step).
                m.get(i).muli(beta1).addi(g.mul(1 - beta1));
                v.get(i).muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray update = m.get(i).div(bc1);
                update.attach(tmp);
                NDArray denom = v.get(i).div(bc2);
                denom.attach(tmp);
                update.divi(denom.sqrt().addi(eps)).muli((float) lr);
                // Update through a detached view (same storage): libtorch's grad mode is per thread and DJL turns it
                // off only on the thread that started the engine, so an in-place op on the leaf itself can fail
                // ("a leaf Variable that requires grad is being used in an in-place operation") on other threads.
                NDArray w = p.stopGradient();
                w.attach(tmp);
                if (weightDecay != 0) w.muli((float) (1 - lr * weightDecay));
                w.subi(update);
                g.subi(g); // zero the accumulated gradient in place
            }
            return norm;
        }
    }

    /** Stops tracking gradients on the parameters and frees the moment estimates. */
    @Override
    public void close() {
        for (NDArray p : params) p.setRequiresGradient(false);
        state.close();
    }
}
