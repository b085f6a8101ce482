package org.dfcspark.dfc;

/**
 * The optimisation step of one crosscoder, in the order of the paper and the reference: (step 0: decoder-bias
 * initialisation from the batch) → loss → gradients → global-norm clipping → Adam → re-mask; for batchtopk the
 * inference threshold follows an EMA of the smallest selected ranked value once past {@code thresholdStart}.
 *
 * <p>{@link #step} does it all for a single process. A data-parallel driver can split it: every worker calls
 * {@link #computeGradients} on its shard (each worker with its own trainer or {@link BatchStep}), the driver adds the
 * {@link Gradients} and scales them by 1/workers, then calls {@link #apply}. One instance is not thread-safe.
 */
public final class CrosscoderTrainer {

    /**
     * @param schedule        learning rate per step
     * @param clip            max global gradient norm (≤ 0: none); the paper clips at 1.0
     * @param biasInit        decoder bias set from the first batch (zeros = leave as initialised)
     * @param thresholdStart  batchtopk: the threshold EMA runs at steps t > thresholdStart (reference: 1000)
     * @param thresholdBeta   EMA coefficient (reference 0.999)
     */
    public record Options(LrSchedule schedule, double clip, Init.DecoderBias biasInit, long thresholdStart, double thresholdBeta) {
        public static Options paper(double lr) {
            return new Options(LrSchedule.constant(lr), 1.0, Init.DecoderBias.ZEROS, 1000, 0.999);
        }
    }

    public enum Status { OK, BAD_BATCH, DIVERGED }

    /** What a step did; {@code terms} is null for a bad batch. */
    public record StepResult(Status status, LossTerms terms, double gradNorm, double lr, String detail) {}

    private final Crosscoder cc;
    private final Options options;
    private final BatchStep batchStep;
    private final Adam adam;
    private final DeadLatents dead;
    private final Gradients grads;
    private final int threads;
    private long t;

    public CrosscoderTrainer(Crosscoder cc, Options options, int threads) {
        this.cc = cc;
        this.options = options;
        this.batchStep = new BatchStep(cc, threads);
        this.adam = new Adam(cc, threads);
        this.dead = new DeadLatents(cc.dictSize(), cc.config().deadTokens());
        this.grads = new Gradients(cc);
        this.threads = Math.max(1, threads);
    }

    public Crosscoder crosscoder() {
        return cc;
    }

    public DeadLatents deadLatents() {
        return dead;
    }

    public Adam optimizer() {
        return adam;
    }

    /** Time per phase of this trainer's steps (profiling). */
    public PhaseTimer timer() {
        return batchStep.timer();
    }

    /** Which features fired in the last batch. */
    public boolean[] lastFired() {
        return batchStep.lastFired();
    }

    /** Continues a checkpointed run: the next step is {@code steps} (restore the optimiser with {@link Adam#restore}). */
    public void resumeAt(long steps) {
        t = steps;
    }

    /** Steps taken so far (0-based index of the next step). */
    public long stepsTaken() {
        return t;
    }

    /** One full step on a batch of normalised rows. A batch with NaN/Inf is not used (BAD_BATCH); a non-finite loss
     *  or gradient leaves the parameters untouched (DIVERGED). */
    public StepResult step(float[] batch, int n) {
        int bad = firstNonFinite(batch, n * 2 * cc.activationDim());
        if (bad >= 0) return new StepResult(Status.BAD_BATCH, null, Double.NaN, Double.NaN, describeValue(batch, bad, cc.activationDim(), "batch row " + bad / (2 * cc.activationDim())));
        if (t == 0 && options.biasInit() != Init.DecoderBias.ZEROS) Init.decoderBias(cc, options.biasInit(), batch, n);
        LossTerms terms = computeGradients(batch, n, grads);
        return apply(grads, terms);
    }

    /** Loss and gradients of this trainer's crosscoder on a batch (advances the dead-latent counters). */
    public LossTerms computeGradients(float[] batch, int n, Gradients out) {
        return batchStep.lossAndGradients(batch, n, dead, out);
    }

    /** Clip, Adam step with this step's learning rate, re-mask, threshold update; then advances the step counter. */
    public StepResult apply(Gradients g, LossTerms terms) {
        double lr = options.schedule().at(t);
        if (!Double.isFinite(terms.total())) {
            return new StepResult(Status.DIVERGED, terms, Double.NaN, lr, "loss is " + terms.total() + " at step " + t);
        }
        double norm = Math.sqrt(g.normSquared(cc, threads));
        if (!Double.isFinite(norm)) {
            return new StepResult(Status.DIVERGED, terms, norm, lr, "gradient norm is " + norm + " at step " + t);
        }
        adam.step(g, lr, options.clip(), norm);
        batchStep.timer().stop("clip + Adam + re-mask");
        if (cc.config().sparsityRule().learnsThreshold() && t > options.thresholdStart()) updateThreshold(terms.minActiveRanked());
        t++;
        return new StepResult(Status.OK, terms, norm, lr, "");
    }

    /** EMA of the smallest selected ranked value (0 when nothing fired), started from the first value. */
    private void updateThreshold(double minActive) {
        double m = Double.isNaN(minActive) ? 0.0 : minActive;
        double old = cc.config().threshold();
        float next = old < 0 ? (float) m : (float) (options.thresholdBeta() * (float) old + (1 - options.thresholdBeta()) * m);
        cc.setConfig(cc.config().withThreshold(next));
    }

    /** Index of the first NaN/Inf among the first {@code len} values, or −1. */
    public static int firstNonFinite(float[] values, int len) {
        for (int i = 0; i < len; i++) if (!Float.isFinite(values[i])) return i;
        return -1;
    }

    /** "ROW (model A, channel c) is NaN" for the value at flat index i of rows of 2d. */
    static String describeValue(float[] values, int i, int d, String row) {
        return row + " (model " + (i % (2 * d) < d ? "A" : "B") + ", channel " + (i % d) + ") is " + values[i];
    }
}
