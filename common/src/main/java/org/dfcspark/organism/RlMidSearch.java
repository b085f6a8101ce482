package org.dfcspark.organism;

import ai.djl.ndarray.NDArray;
import org.dfcspark.model.Qwen2Model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * Chooses rl-mid, the RL checkpoint whose greedy strict rate on the validation requests is closest to
 * {@link #TARGET} within [{@link #LOW}, {@link #HIGH}], and writes it.
 *
 * <p>RL's greedy rate jumps within a single Adam step (6.5% to 59% on validation between iterations 5 and 6),
 * so the whole iterates alone rarely land near the target. When two consecutive iterates straddle it, the Adam
 * step between them is searched too: the points {@code before + f * (after - before)} for {@code f} = 0.1, ...,
 * 0.9. With no weight decay (RL's AdamW uses none) such a point is the earlier iterate followed by that Adam step
 * at {@code f} times the learning rate (up to float rounding), i.e. a real RL checkpoint with a smaller last step. The training model is
 * never touched: the points are written into a separate probe model.
 */
final class RlMidSearch {
    static final double TARGET = 0.40;
    /** The accepted validation band: test must land in 30-50%; validation (200 requests) is a few pp noisy. */
    static final double LOW = 0.33, HIGH = 0.47;
    static final int STEP_POINTS = 9; // fractions 0.1 ... 0.9

    /** One evaluated candidate: after {@code iteration} whole iterates plus {@code fraction} of the next step. */
    record Point(int iteration, double fraction, double validStrict) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("iteration", iteration);
            m.put("next_step_fraction", fraction);
            m.put("valid_greedy_strict", validStrict);
            return m;
        }
    }

    private final Qwen2Model probe;
    private final ToDoubleFunction<Qwen2Model> validRate;
    private final Path out;
    private final Consumer<String> log;
    private final List<Point> stepPoints = new ArrayList<>();
    private float[][] previous; // parameters of the last evaluated iterate, if it was the one just before
    private int previousIteration = -1;
    private double previousRate = Double.NaN;
    private Point best;

    /**
     * @param probe a model of the same architecture, overwritten with the points inside a step
     * @param validRate greedy strict rate on the validation requests
     * @param out where rl-mid is written
     */
    RlMidSearch(Qwen2Model probe, ToDoubleFunction<Qwen2Model> validRate, Path out, Consumer<String> log) {
        this.probe = probe;
        this.validRate = validRate;
        this.out = out;
        this.log = log;
    }

    /** Offers iterate {@code iteration} (0 = the start model) with its measured validation rate. */
    void offer(int iteration, double rate, Qwen2Model model) throws IOException {
        float[][] now = weights(model);
        if (previousIteration == iteration - 1 && previousRate < TARGET && rate > TARGET) {
            searchStep(iteration - 1, previous, now);
        }
        consider(new Point(iteration, 0.0, rate), model);
        previous = now;
        previousIteration = iteration;
        previousRate = rate;
    }

    /** The chosen checkpoint, or null when no evaluated point was inside the band (rl-mid not written). */
    Point best() {
        return best;
    }

    /** The points evaluated inside Adam steps. */
    List<Point> stepPoints() {
        return stepPoints;
    }

    private void searchStep(int iteration, float[][] before, float[][] after) throws IOException {
        List<NDArray> params = List.copyOf(probe.parameters().values());
        for (int k = 1; k <= STEP_POINTS; k++) {
            float f = k / (float) (STEP_POINTS + 1);
            for (int i = 0; i < params.size(); i++) {
                float[] b = before[i], a = after[i], w = new float[b.length];
                for (int j = 0; j < w.length; j++) w[j] = b[j] + f * (a[j] - b[j]);
                params.get(i).set(w);
            }
            Point p = new Point(iteration, k / (double) (STEP_POINTS + 1), validRate.applyAsDouble(probe));
            stepPoints.add(p);
            log.accept(String.format("organism: iteration %d + %.1f of the next Adam step: greedy valid strict %.3f", iteration, p.fraction(), p.validStrict()));
            consider(p, probe);
        }
    }

    private void consider(Point p, Qwen2Model model) throws IOException {
        double v = p.validStrict();
        if (v < LOW || v > HIGH) return;
        if (best != null && Math.abs(v - TARGET) >= Math.abs(best.validStrict() - TARGET)) return;
        best = p;
        OrganismModel.save(model, out);
    }

    private static float[][] weights(Qwen2Model model) {
        return model.parameters().values().stream().map(NDArray::toFloatArray).toArray(float[][]::new);
    }
}
