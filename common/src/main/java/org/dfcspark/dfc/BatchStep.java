package org.dfcspark.dfc;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dfcspark.dfc.rules.LossBatch;
import org.dfcspark.dfc.rules.LossRule;
import org.dfcspark.dfc.rules.SparsityRule;
import org.dfcspark.simd.VecOps;

/**
 * One batch through a crosscoder: encode, sparsify, decode, and (for training) the loss and its hand-derived
 * gradients. Only the encoder product {@code x·W_enc} is dense ({@link VectorMatmul} or libtorch); everything downstream touches only the
 * active (row, feature) entries: decoding, the gradients of the decoder rows, of the active encoder columns and of
 * the biases. Forbidden weights are never read or written (the masked forward and masked gradients). The sparsity
 * rule and the loss are the config's rule classes ({@link CrosscoderConfig#sparsityRule()}, {@link
 * CrosscoderConfig#lossRule()}); this class holds the mechanics they share (buffers, decoding, AuxK, gradients).
 *
 * <p>Holds reusable work buffers: one instance per thread; instances for the same {@link Crosscoder} may run
 * concurrently as long as nobody updates the parameters meanwhile.
 */
public final class BatchStep {
    private static final int FEATURE_BLOCK = 64;

    private final Crosscoder cc;
    private final int threads;
    private final int d;
    private final int w;
    private final int dict;

    // work buffers (grown on demand)
    private int rows;
    private float[] x = new float[0];
    private float[] pre = new float[0];
    private float[] recon = new float[0];
    private float[] gx = new float[0];
    private float[] gpre = new float[0];
    private float[] auxRecon = new float[0];
    private float[] gaux = new float[0];
    private float[] gpreAux = new float[0];
    private float[] codeNorm;
    private final SparseCodes codes;
    private final SparseCodes aux;
    private final ByFeature codesByFeature = new ByFeature(); // of codes and of aux, for the last batch
    private final ByFeature auxByFeature = new ByFeature();
    private double minActiveRanked = Double.NaN;
    private int auxEntries;
    private boolean[] lastFired = new boolean[0];
    private final PhaseTimer timer = new PhaseTimer();
    /** The encoder product: on the JVM's vector units where they beat libtorch's BLAS, else on libtorch. */
    private final VectorMatmul vectorMatmul = VectorMatmul.PREFERRED ? new VectorMatmul() : null;
    private final TorchMatmul torchMatmul = VectorMatmul.PREFERRED ? null : new TorchMatmul();

    public BatchStep(Crosscoder cc, int threads) {
        this.cc = cc;
        this.threads = Math.max(1, threads);
        this.d = cc.d;
        this.w = cc.width;
        this.dict = cc.dictSize;
        this.codes = new SparseCodes(dict);
        this.aux = new SparseCodes(dict);
    }

    /** Result of {@link #encode}: features and raw reconstruction of each row. */
    public record Encoded(SparseCodes features, float[] reconstruction) {}

    /**
     * Inference on raw activations ({@code n} rows of 2d): normalise with the crosscoder's statistics, encode with the
     * inference rule (batchtopk: the learned threshold), decode, de-normalise. The codes are a fresh copy.
     */
    public Encoded encode(float[] raw, int n) {
        load(raw, n);
        Normalization norm = cc.config().normalization();
        if (norm != null) norm.normalize(x, n);
        forward(false);
        float[] out = new float[n * w];
        System.arraycopy(recon, 0, out, 0, n * w);
        if (norm != null) norm.denormalize(out, n);
        SparseCodes copy = new SparseCodes(dict);
        int nnz = (int) codes.nonZeros();
        copy.reset(n, nnz);
        for (int b = 0, s = 0; b < n; b++) {
            copy.start[b] = s;
            copy.count[b] = codes.count[b];
            System.arraycopy(codes.index, codes.start[b], copy.index, s, codes.count[b]);
            System.arraycopy(codes.value, codes.start[b], copy.value, s, codes.count[b]);
            s += codes.count[b];
        }
        return new Encoded(copy, out);
    }

    /** Cumulative time per phase of this instance's calls (profiling; see CrosscoderBenchmark). */
    public PhaseTimer timer() {
        return timer;
    }

    /** Which features fired in the last training batch. */
    public boolean[] lastFired() {
        return lastFired;
    }

    /** Pre-activations of the last forward pass, (rows × D); exposed for tests and diagnostics. */
    public float[] preActivations() {
        float[] out = new float[rows * dict];
        System.arraycopy(pre, 0, out, 0, out.length);
        return out;
    }

    /** Active features of the last forward pass (live view, overwritten by the next call). */
    public SparseCodes codes() {
        return codes;
    }

    /** Reconstruction of the last forward pass in normalised space, (rows × 2d), copy. */
    public float[] reconstruction() {
        float[] out = new float[rows * w];
        System.arraycopy(recon, 0, out, 0, out.length);
        return out;
    }

    private void load(float[] rowsIn, int n) {
        if (rowsIn.length < n * w) throw new IllegalArgumentException("batch has " + rowsIn.length + " values, " + n + " rows of 2×" + d + " need " + n * w);
        rows = n;
        if (x.length < n * w) {
            x = new float[n * w];
            recon = new float[n * w];
            gx = new float[n * w];
        }
        if (pre.length < n * dict) pre = new float[n * dict];
        System.arraycopy(rowsIn, 0, x, 0, n * w);
    }

    /** Encoder, sparsity rule and decoder on the normalised rows in {@code x}. */
    private void forward(boolean training) {
        int n = rows;
        timer.start();
        if (vectorMatmul != null) vectorMatmul.linear(x, n, w, cc.encT, dict, cc.bEnc, pre, threads, cc.partition);
        else torchMatmul.linear(x, n, w, cc.encT, cc.version(), dict, cc.bEnc, pre);
        timer.stop(CrosscoderBenchmark.ENCODER_PHASE);
        CrosscoderConfig cfg = cc.config();
        SparsityRule rule = cfg.sparsityRule();
        codeNorm = rule.needsCodeNorms() || cfg.lossRule().needsCodeNorms() ? cc.codeNorms() : null;
        minActiveRanked = rule.select(pre, n, dict, cfg.k(), codeNorm, cfg.threshold(), training, threads, codes);
        timer.stop("sparsity selection");
        codesByFeature.index(codes, dict);
        decode(codesByFeature, codes, recon, true);
        timer.stop("sparse decode");
    }

    /**
     * out[b] = (b_dec if withBias) + Σ_active f · W_dec[j] over the allowed halves, summed in ascending j. Feature by
     * feature: an active decoder row is read once for all its rows, which stay in L2 (row by row, every entry read a
     * decoder row from farther away). Threads take ranges of rows.
     */
    private void decode(ByFeature byFeature, SparseCodes c, float[] out, boolean withBias) {
        Partition p = cc.partition;
        int perThread = (rows + threads - 1) / threads;
        Parallel.forBlocks(threads, Parallel.blocks(rows, perThread), blk -> {
            int from = blk * perThread, to = Math.min(rows, from + perThread);
            for (int b = from; b < to; b++) {
                if (withBias) System.arraycopy(cc.bDec, 0, out, b * w, w);
                else java.util.Arrays.fill(out, b * w, (b + 1) * w, 0f);
            }
            for (int j = 0; j < dict; j++) {
                int lo = p.loModel(j) * d, len = p.hiModel(j) * d - lo;
                for (int a = byFeature.start[j], end = byFeature.start[j + 1]; a < end; a++) {
                    int b = byFeature.row[a]; // ascending
                    if (b < from) continue;
                    if (b >= to) break;
                    VecOps.axpy(c.value[byFeature.entry[a]], cc.dec, j * w + lo, out, b * w + lo, len);
                }
            }
        });
    }

    /**
     * Forward pass, loss and (when {@code grads} is not null) gradients for {@code n} normalised rows.
     *
     * @param dead latent counters, advanced by this batch (needed by the reference loss's AuxK; may be null otherwise)
     */
    public LossTerms lossAndGradients(float[] xn, int n, DeadLatents dead, Gradients grads) {
        if (n <= 0) throw new IllegalArgumentException("empty batch");
        CrosscoderConfig cfg = cc.config();
        LossRule loss = cfg.lossRule();
        if (loss.needsDeadLatents() && dead == null) throw new IllegalArgumentException("the " + loss.name() + " loss needs dead-latent counters");
        load(xn, n);
        forward(true);
        int nnz = (int) codes.nonZeros();
        if (gpre.length < codes.extent()) gpre = new float[codes.extent()];

        boolean[] fired = lastFired = new boolean[dict];
        for (int b = 0; b < n; b++) for (int e = codes.start[b], s = e + codes.count[b]; e < s; e++) fired[codes.index[e]] = true;
        if (dead != null) dead.update(fired, n);

        // error e = x̂ − x, per-model squared sums, FVU denominators
        double[] sse = new double[2], var = new double[2];
        double[] rowSse = new double[2 * n];
        errorStats(sse, var, rowSse);

        Map<String, Double> terms = new LinkedHashMap<>();
        float[] penalty = new float[dict]; // d(sparsity penalty)/d f_j, per feature
        auxEntries = 0; // set by AuxK when the loss runs it
        double total = loss.loss(new StepBatch(dead, sse, rowSse), cfg, terms, penalty);
        int deadCount = dead == null ? 0 : dead.deadCount();
        timer.stop("loss (+AuxK)");
        LossTerms result = new LossTerms(total, terms, sse[0] / var[0], sse[1] / var[1], (double) nnz / n, deadCount, minActiveRanked);
        if (grads == null) return result;

        // d loss / d f for every active entry: decoder part + penalty
        activeGradients(codesByFeature, gx, penalty, gpre);
        if (auxEntries > 0) {
            activeGradients(auxByFeature, gaux, null, gpreAux);
        }
        timer.stop("d loss/d f (sparse dots)");
        parameterGradients(cfg, loss.decoderNormPenalty(cfg), grads, auxEntries > 0);
        timer.stop("parameter gradients (sparse scatter)");
        return result;
    }

    private void errorStats(double[] sse, double[] var, double[] rowSse) {
        int n = rows;
        double[] mean = new double[w];
        for (int b = 0; b < n; b++) for (int i = 0; i < w; i++) mean[i] += x[b * w + i];
        for (int i = 0; i < w; i++) mean[i] /= n;
        for (int b = 0; b < n; b++) {
            for (int m = 0; m < 2; m++) {
                int o = b * w + m * d;
                double s = VecOps.sumSquaredDifferences(recon, o, x, o, d), v = VecOps.sumSquaredDeviations(x, o, mean, m * d, d);
                rowSse[2 * b + m] = s;
                sse[m] += s;
                var[m] += v;
            }
        }
    }

    /**
     * AuxK of the reference: per row, the k_aux = min(d/2, #dead) dead latents with the largest activation × code
     * norm reconstruct the detached residual r = x − x̂ without decoder bias; auxk = mean_b ‖r − r̂‖² / mean_b ‖r − r̄‖².
     * Fills {@code aux}, {@code gaux} (d(α·auxk)/d r̂), {@code auxEntries}. Returns {auxk, pre-normalisation auxk
     * (−1 when nothing is dead)}.
     */
    private double[] auxK(double alpha, DeadLatents dead) {
        double[] result = auxKTerms(alpha, dead);
        auxEntries = (int) aux.nonZeros();
        if (gpreAux.length < aux.extent()) gpreAux = new float[aux.extent()];
        return result;
    }

    private double[] auxKTerms(double alpha, DeadLatents dead) {
        int n = rows;
        int deadCount = dead.deadCount();
        aux.reset(n, 0);
        if (deadCount == 0) return new double[] {0, -1};
        boolean[] isDead = new boolean[dict];
        for (int j = 0; j < dict; j++) isDead[j] = dead.isDead(j);
        int kAux = Math.min(d / 2, deadCount);
        if (kAux == 0) return new double[] {0, -1};
        FeatureSelection.topKPerRow(pre, n, dict, kAux, codeNorm, isDead, aux, threads);
        if (auxRecon.length < n * w) {
            auxRecon = new float[n * w];
            gaux = new float[n * w];
        }
        auxByFeature.index(aux, dict);
        decode(auxByFeature, aux, auxRecon, false);
        double[] mean = new double[w];
        for (int b = 0; b < n; b++) for (int i = 0; i < w; i++) mean[i] += (double) x[b * w + i] - recon[b * w + i];
        for (int i = 0; i < w; i++) mean[i] /= n;
        double num = 0, den = 0;
        for (int b = 0; b < n; b++) {
            for (int i = 0, o = b * w; i < w; i++) {
                float r = x[o + i] - recon[o + i];
                double e = (double) r - auxRecon[o + i];
                num += e * e;
                double c = r - mean[i];
                den += c * c;
            }
        }
        num /= n;
        den /= n;
        double auxk = num / den;
        if (!Double.isFinite(auxk) || den == 0) {
            java.util.Arrays.fill(gaux, 0, n * w, 0f);
            return new double[] {0, num};
        }
        float g = (float) (alpha * 2.0 / (n * den));
        for (int b = 0; b < n; b++) {
            for (int i = 0, o = b * w; i < w; i++) gaux[o + i] = (auxRecon[o + i] - (x[o + i] - recon[o + i])) * g;
        }
        return new double[] {auxk, num};
    }

    /**
     * out[e] = d loss/d f_e = ⟨g_row, W_dec[j]⟩ over the allowed halves (+ penalty[j]); ReLU passes it to pre. Feature
     * by feature, as {@link #decode}.
     */
    private void activeGradients(ByFeature byFeature, float[] g, float[] penalty, float[] out) {
        Partition p = cc.partition;
        Parallel.forBlocks(threads, Parallel.blocks(dict, FEATURE_BLOCK), blk -> {
            for (int j = blk * FEATURE_BLOCK, end = Math.min(dict, j + FEATURE_BLOCK); j < end; j++) {
                int lo = p.loModel(j) * d, len = p.hiModel(j) * d - lo;
                for (int a = byFeature.start[j]; a < byFeature.start[j + 1]; a++) {
                    float v = VecOps.dot(g, byFeature.row[a] * w + lo, cc.dec, j * w + lo, len);
                    int e = byFeature.entry[a];
                    out[e] = penalty == null ? v : v + penalty[j];
                }
            }
        });
    }

    /** Feature-major index of a code set: feature j's entries are entry[start[j] .. start[j+1]), their rows ascending. */
    private static final class ByFeature {
        int[] start = new int[0], entry = new int[0], row = new int[0], fill = new int[0];

        /** Indexes {@code c} (its buffers reused from batch to batch: this runs every step of every variant). */
        void index(SparseCodes c, int dict) {
            if (start.length < dict + 1) {
                start = new int[dict + 1];
                fill = new int[dict + 1];
            }
            java.util.Arrays.fill(start, 0, dict + 1, 0);
            int nnz = 0;
            for (int b = 0; b < c.rows; b++) {
                nnz += c.count[b];
                for (int e = c.start[b], s = e + c.count[b]; e < s; e++) start[c.index[e] + 1]++;
            }
            for (int j = 0; j < dict; j++) start[j + 1] += start[j];
            System.arraycopy(start, 0, fill, 0, dict + 1);
            if (entry.length < nnz) {
                entry = new int[nnz];
                row = new int[nnz];
            }
            for (int b = 0; b < c.rows; b++) {
                for (int e = c.start[b], s = e + c.count[b]; e < s; e++) {
                    int at = fill[c.index[e]]++;
                    entry[at] = e;
                    row[at] = b;
                }
            }
        }
    }

    /**
     * Writes every parameter gradient (forbidden entries 0; tied halves folded into their sum), but for the rows of
     * features that fired nowhere, which it marks as zero ({@link Gradients#zeroRow}), and each feature's term of the
     * squared norm.
     */
    private void parameterGradients(CrosscoderConfig cfg, double decoderNormPenalty, Gradients g, boolean withAux) {
        Partition p = cc.partition;
        ByFeature main = codesByFeature;
        ByFeature auxIdx = withAux ? auxByFeature : null;
        boolean tied = cfg.coupling() == Coupling.TIED;
        double lambdaPerRow = decoderNormPenalty / rows;
        Parallel.forBlocks(threads, Parallel.blocks(dict, FEATURE_BLOCK), blk -> {
            for (int j = blk * FEATURE_BLOCK, end = Math.min(dict, j + FEATURE_BLOCK); j < end; j++) {
                int row = j * w, lo = p.loModel(j) * d, hi = p.hiModel(j) * d, len = hi - lo;
                boolean fired = main.start[j] < main.start[j + 1] || auxIdx != null && auxIdx.start[j] < auxIdx.start[j + 1];
                g.zeroRow[j] = !fired;
                g.bEnc[j] = 0f;
                g.rowNormSquared[j] = 0;
                if (!fired) continue; // a zero gradient, left unwritten (Gradients#dense writes it when asked)
                // forbidden halves are 0; the allowed part is written by the first entry (a scale, not zeros + axpy)
                Crosscoder.zeroForbidden(p, d, g.encT, j);
                Crosscoder.zeroForbidden(p, d, g.dec, j);
                double gb = 0, fSum = 0;
                int from = main.start[j], to = main.start[j + 1];
                for (int a = from; a < to; a++) {
                    gb += gpre[main.entry[a]];
                    fSum += codes.value[main.entry[a]];
                }
                // the first term is written, not added onto zeros; each row of sums stays in registers over the terms
                VecOps.sumRows(gpre, main.entry, main.row, from, to, x, lo, w, g.encT, row + lo, len, true);
                VecOps.sumRows(codes.value, main.entry, main.row, from, to, gx, lo, w, g.dec, row + lo, len, true);
                if (auxIdx != null) {
                    int auxFrom = auxIdx.start[j], auxTo = auxIdx.start[j + 1];
                    for (int a = auxFrom; a < auxTo; a++) gb += gpreAux[auxIdx.entry[a]];
                    VecOps.sumRows(gpreAux, auxIdx.entry, auxIdx.row, auxFrom, auxTo, x, lo, w, g.encT, row + lo, len, from == to);
                    VecOps.sumRows(aux.value, auxIdx.entry, auxIdx.row, auxFrom, auxTo, gaux, lo, w, g.dec, row + lo, len, from == to);
                }
                if (lambdaPerRow > 0 && fSum > 0) {
                    // d/d W_dec[j,m] of λ/B · Σ_b f_bj · ‖W_dec[j,m]‖
                    for (int m = p.loModel(j); m < p.hiModel(j); m++) {
                        double norm = Math.sqrt(VecOps.sumSquares(cc.dec, row + m * d, d));
                        if (norm > 0) VecOps.axpy((float) (lambdaPerRow * fSum / norm), cc.dec, row + m * d, g.dec, row + m * d, d);
                    }
                }
                g.bEnc[j] = (float) gb;
                if (tied && p.isShared(j)) foldHalves(g.dec, row);
                g.rowNormSquared[j] = Gradients.rowNormSquared(g.encT, g.dec, j, w, tied && p.isShared(j) ? d : w); // while in L1
            }
        });
        g.sparse = true;
        double[] gbDec = new double[w];
        for (int b = 0; b < rows; b++) for (int i = 0; i < w; i++) gbDec[i] += gx[b * w + i];
        for (int i = 0; i < w; i++) g.bDec[i] = (float) gbDec[i];
        if (tied) foldHalves(g.bDec, 0);
    }

    /** The loss rule's view of the current training batch: this step's buffers, and AuxK on its dead latents. */
    private final class StepBatch implements LossBatch {
        private final DeadLatents dead;
        private final double[] sse;
        private final double[] rowSse;

        StepBatch(DeadLatents dead, double[] sse, double[] rowSse) {
            this.dead = dead;
            this.sse = sse;
            this.rowSse = rowSse;
        }

        @Override public int rows() { return rows; }
        @Override public int d() { return d; }
        @Override public int width() { return w; }
        @Override public int dictSize() { return dict; }
        @Override public Partition partition() { return cc.partition; }
        @Override public float[] input() { return x; }
        @Override public float[] reconstruction() { return recon; }
        @Override public float[] reconstructionGradient() { return gx; }
        @Override public SparseCodes codes() { return codes; }
        @Override public float[] codeNorms() { return codeNorm; }
        @Override public double[] sse() { return sse; }
        @Override public double[] rowSse() { return rowSse; }
        @Override public double[] auxK(double alpha) { return BatchStep.this.auxK(alpha, dead); }
    }

    /** Tied parameter used by both models: its gradient is the sum of both halves' gradients, stored in both. */
    private void foldHalves(float[] a, int off) {
        // a[A] += 1·a[B] is one rounding of the exact sum, the bits of a[A] + a[B], on vector lanes (the scalar loop
        // writing both halves did not vectorise: C2 cannot prove the halves apart; 3% of a sweep's samples)
        VecOps.axpy(1f, a, off + d, a, off, d);
        System.arraycopy(a, off, a, off + d, d);
    }
}
