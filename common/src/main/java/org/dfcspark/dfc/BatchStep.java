package org.dfcspark.dfc;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One batch through a crosscoder: encode, sparsify, decode, and (for training) the loss and its hand-derived
 * gradients. Only the encoder product {@code x·W_enc} is dense (libtorch); everything downstream touches only the
 * active (row, feature) entries: decoding, the gradients of the decoder rows, of the active encoder columns and of
 * the biases. Forbidden weights are never read or written (the masked forward and masked gradients).
 *
 * <p>Holds reusable work buffers: one instance per thread; instances for the same {@link Crosscoder} may run
 * concurrently as long as nobody updates the parameters meanwhile.
 */
public final class BatchStep {
    private static final int ROW_BLOCK = 16;
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
    private double minActiveRanked = Double.NaN;
    private boolean[] lastFired = new boolean[0];
    private final PhaseTimer timer = new PhaseTimer();
    private final TorchMatmul matmul = new TorchMatmul();

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
        matmul.linear(x, n, w, cc.encT, cc.version(), dict, cc.bEnc, pre);
        timer.stop("encoder matmul (libtorch)");
        CrosscoderConfig cfg = cc.config();
        Sparsity sp = cfg.sparsity();
        codeNorm = sp == Sparsity.BATCHTOPK || cfg.loss() == LossKind.ANTHROPIC || cfg.loss() == LossKind.REFERENCE ? cc.codeNorms() : null;
        minActiveRanked = Double.NaN;
        switch (sp) {
            case TOPK -> FeatureSelection.topKPerRow(pre, n, dict, cfg.k(), null, null, codes, threads);
            case RELU -> FeatureSelection.relu(pre, n, dict, codes, threads);
            case BATCHTOPK -> {
                if (training) minActiveRanked = FeatureSelection.batchTopK(pre, n, dict, (long) cfg.k() * n, codeNorm, codes, threads);
                else FeatureSelection.threshold(pre, n, dict, codeNorm, cfg.threshold(), codes, threads);
            }
        }
        timer.stop("sparsity selection");
        decode(codes, recon, true);
        timer.stop("sparse decode");
    }

    /** out[b] = (b_dec if withBias) + Σ_active f · W_dec[j] over the allowed halves. */
    private void decode(SparseCodes c, float[] out, boolean withBias) {
        Partition p = cc.partition;
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                int o = b * w;
                if (withBias) System.arraycopy(cc.bDec, 0, out, o, w);
                else java.util.Arrays.fill(out, o, o + w, 0f);
                for (int e = c.start[b], stop = e + c.count[b]; e < stop; e++) {
                    int j = c.index[e], lo = p.loModel(j) * d, hi = p.hiModel(j) * d;
                    VecOps.axpy(c.value[e], cc.dec, j * w + lo, out, o + lo, hi - lo);
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
        if (cfg.loss() == LossKind.REFERENCE && dead == null) throw new IllegalArgumentException("the reference loss needs dead-latent counters");
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
        double total;
        float[] penalty = new float[dict]; // d(sparsity penalty)/d f_j, per feature
        switch (cfg.loss()) {
            case PAPER -> total = paperLoss(cfg, sse, terms, penalty);
            case REFERENCE -> total = referenceLoss(cfg, rowSse, sse, terms);
            case ANTHROPIC -> total = anthropicLoss(cfg, sse, terms, penalty);
            default -> throw new IllegalStateException();
        }
        int deadCount = 0;
        int auxEntries = 0;
        if (cfg.loss() == LossKind.REFERENCE) {
            deadCount = dead.deadCount();
            double[] auxTerms = auxK(cfg, dead, deadCount);
            terms.put("auxk", auxTerms[0]);
            terms.put("pre_norm_auxk", auxTerms[1]);
            terms.put("mse", (sse[0] + sse[1]) / (2.0 * n));
            total += cfg.auxkAlpha() * auxTerms[0];
            auxEntries = (int) aux.nonZeros();
            if (gpreAux.length < aux.extent()) gpreAux = new float[aux.extent()];
        } else if (dead != null) {
            deadCount = dead.deadCount();
        }
        timer.stop("loss (+AuxK)");
        LossTerms result = new LossTerms(total, terms, sse[0] / var[0], sse[1] / var[1], (double) nnz / n, deadCount, minActiveRanked);
        if (grads == null) return result;

        // d loss / d f for every active entry: decoder part + penalty
        activeGradients(codes, gx, penalty, gpre);
        if (auxEntries > 0) {
            activeGradients(aux, gaux, null, gpreAux);
        }
        timer.stop("d loss/d f (sparse dots)");
        parameterGradients(cfg, grads, auxEntries > 0);
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
                double s = 0, v = 0;
                for (int i = m * d, o = b * w; i < (m + 1) * d; i++) {
                    double e = (double) recon[o + i] - x[o + i];
                    s += e * e;
                    double c = x[o + i] - mean[i];
                    v += c * c;
                }
                rowSse[2 * b + m] = s;
                sse[m] += s;
                var[m] += v;
            }
        }
    }

    /** mse (mean over all elements) + λ_excl·(mean|f_{A∪S}| + mean|f_{B∪S}|)/2 + λ_sh·mean|f_S|; a mean over an empty block is 0. */
    private double paperLoss(CrosscoderConfig cfg, double[] sse, Map<String, Double> terms, float[] penalty) {
        int n = rows;
        Partition p = cc.partition;
        double count = (double) n * w;
        double mse = (sse[0] + sse[1]) / count;
        float scale = (float) (2.0 / count);
        for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
        double sumA = 0, sumB = 0, sumS = 0;
        for (int b = 0; b < n; b++) {
            for (int e = codes.start[b], s = e + codes.count[b]; e < s; e++) {
                switch (p.kind(codes.index[e])) {
                    case A_EXCLUSIVE -> sumA += codes.value[e];
                    case B_EXCLUSIVE -> sumB += codes.value[e];
                    case SHARED -> sumS += codes.value[e];
                }
            }
        }
        double nAS = (double) n * (p.nA() + p.nShared()), nBS = (double) n * (p.nB() + p.nShared()), nS = (double) n * p.nShared();
        double meanAS = nAS > 0 ? (sumA + sumS) / nAS : 0, meanBS = nBS > 0 ? (sumB + sumS) / nBS : 0, meanS = nS > 0 ? sumS / nS : 0;
        double l1Excl = (meanAS + meanBS) / 2, l1Shared = meanS;
        double cA = nAS > 0 ? cfg.l1Excl() / 2 / nAS : 0, cB = nBS > 0 ? cfg.l1Excl() / 2 / nBS : 0, cS = nS > 0 ? cfg.l1() / nS : 0;
        for (int j = 0; j < dict; j++) {
            penalty[j] = (float) switch (p.kind(j)) {
                case A_EXCLUSIVE -> cA;
                case B_EXCLUSIVE -> cB;
                case SHARED -> cA + cB + cS;
            };
        }
        terms.put("mse", mse);
        terms.put("l1_shared", l1Shared);
        terms.put("l1_exclusive", l1Excl);
        return mse + cfg.l1Excl() * l1Excl + cfg.l1() * l1Shared;
    }

    /** mean over (row, model) of ‖x_m − x̂_m‖₂; AuxK is added by the caller. */
    private double referenceLoss(CrosscoderConfig cfg, double[] rowSse, double[] sse, Map<String, Double> terms) {
        int n = rows;
        double l2 = 0;
        for (int b = 0; b < n; b++) {
            for (int m = 0; m < 2; m++) {
                double norm = Math.sqrt(rowSse[2 * b + m]);
                l2 += norm;
                float g = norm > 0 ? (float) (1.0 / (norm * 2 * n)) : 0f;
                for (int i = m * d, o = b * w; i < (m + 1) * d; i++) gx[o + i] = (recon[o + i] - x[o + i]) * g;
            }
        }
        l2 /= 2.0 * n;
        terms.put("l2", l2);
        return l2;
    }

    /** mean over rows of Σ_m ‖x_m − x̂_m‖² + λ · mean over rows of Σ_i f_i · (‖d_i^A‖ + ‖d_i^B‖). */
    private double anthropicLoss(CrosscoderConfig cfg, double[] sse, Map<String, Double> terms, float[] penalty) {
        int n = rows;
        double recErr = (sse[0] + sse[1]) / n;
        float scale = (float) (2.0 / n);
        for (int b = 0; b < n; b++) for (int i = 0, o = b * w; i < w; i++) gx[o + i] = (recon[o + i] - x[o + i]) * scale;
        double l1 = 0;
        for (int b = 0; b < n; b++) {
            for (int e = codes.start[b], s = e + codes.count[b]; e < s; e++) l1 += (double) codes.value[e] * codeNorm[codes.index[e]];
        }
        l1 /= n;
        for (int j = 0; j < dict; j++) penalty[j] = (float) (cfg.l1() / n * codeNorm[j]);
        terms.put("sse", recErr);
        terms.put("l1", l1);
        return recErr + cfg.l1() * l1;
    }

    /**
     * AuxK of the reference: per row, the k_aux = min(d/2, #dead) dead latents with the largest activation × code
     * norm reconstruct the detached residual r = x − x̂ without decoder bias; auxk = mean_b ‖r − r̂‖² / mean_b ‖r − r̄‖².
     * Fills {@code aux}, {@code gaux} (d(α·auxk)/d r̂). Returns {auxk, pre-normalisation auxk (−1 when nothing is dead)}.
     */
    private double[] auxK(CrosscoderConfig cfg, DeadLatents dead, int deadCount) {
        int n = rows;
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
        decode(aux, auxRecon, false);
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
        float g = (float) (cfg.auxkAlpha() * 2.0 / (n * den));
        for (int b = 0; b < n; b++) {
            for (int i = 0, o = b * w; i < w; i++) gaux[o + i] = (auxRecon[o + i] - (x[o + i] - recon[o + i])) * g;
        }
        return new double[] {auxk, num};
    }

    /** out[e] = d loss/d f_e = ⟨g_row, W_dec[j]⟩ over the allowed halves (+ penalty[j]); ReLU passes it to pre. */
    private void activeGradients(SparseCodes c, float[] g, float[] penalty, float[] out) {
        Partition p = cc.partition;
        Parallel.forBlocks(threads, Parallel.blocks(rows, ROW_BLOCK), blk -> {
            for (int b = blk * ROW_BLOCK, end = Math.min(rows, b + ROW_BLOCK); b < end; b++) {
                for (int e = c.start[b], s = e + c.count[b]; e < s; e++) {
                    int j = c.index[e], lo = p.loModel(j) * d, hi = p.hiModel(j) * d;
                    float v = VecOps.dot(g, b * w + lo, cc.dec, j * w + lo, hi - lo);
                    out[e] = penalty == null ? v : v + penalty[j];
                }
            }
        });
    }

    /** Feature-major index of a code set: entries of feature j are ids[start[j] .. start[j+1]), rows ascending. */
    private record ByFeature(int[] start, int[] entry, int[] row) {
        static ByFeature of(SparseCodes c, int dict) {
            int[] start = new int[dict + 1];
            int nnz = 0;
            for (int b = 0; b < c.rows; b++) {
                nnz += c.count[b];
                for (int e = c.start[b], s = e + c.count[b]; e < s; e++) start[c.index[e] + 1]++;
            }
            for (int j = 0; j < dict; j++) start[j + 1] += start[j];
            int[] fill = start.clone();
            int[] entry = new int[nnz], row = new int[nnz];
            for (int b = 0; b < c.rows; b++) {
                for (int e = c.start[b], s = e + c.count[b]; e < s; e++) {
                    int at = fill[c.index[e]]++;
                    entry[at] = e;
                    row[at] = b;
                }
            }
            return new ByFeature(start, entry, row);
        }
    }

    /** Writes every parameter gradient (forbidden entries 0; tied halves folded into their sum). */
    private void parameterGradients(CrosscoderConfig cfg, Gradients g, boolean withAux) {
        Partition p = cc.partition;
        ByFeature main = ByFeature.of(codes, dict);
        ByFeature auxIdx = withAux ? ByFeature.of(aux, dict) : null;
        boolean tied = cfg.coupling() == Coupling.TIED;
        double lambdaPerRow = cfg.loss() == LossKind.ANTHROPIC ? cfg.l1() / rows : 0;
        Parallel.forBlocks(threads, Parallel.blocks(dict, FEATURE_BLOCK), blk -> {
            for (int j = blk * FEATURE_BLOCK, end = Math.min(dict, j + FEATURE_BLOCK); j < end; j++) {
                int row = j * w, lo = p.loModel(j) * d, hi = p.hiModel(j) * d, len = hi - lo;
                java.util.Arrays.fill(g.encT, row, row + w, 0f);
                java.util.Arrays.fill(g.dec, row, row + w, 0f);
                double gb = 0, fSum = 0;
                for (int a = main.start[j]; a < main.start[j + 1]; a++) {
                    int e = main.entry[a], b = main.row[a];
                    float gp = gpre[e];
                    gb += gp;
                    fSum += codes.value[e];
                    VecOps.axpy(gp, x, b * w + lo, g.encT, row + lo, len);
                    VecOps.axpy(codes.value[e], gx, b * w + lo, g.dec, row + lo, len);
                }
                if (auxIdx != null) {
                    for (int a = auxIdx.start[j]; a < auxIdx.start[j + 1]; a++) {
                        int e = auxIdx.entry[a], b = auxIdx.row[a];
                        float gp = gpreAux[e];
                        gb += gp;
                        VecOps.axpy(gp, x, b * w + lo, g.encT, row + lo, len);
                        VecOps.axpy(aux.value[e], gaux, b * w + lo, g.dec, row + lo, len);
                    }
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
            }
        });
        double[] gbDec = new double[w];
        for (int b = 0; b < rows; b++) for (int i = 0; i < w; i++) gbDec[i] += gx[b * w + i];
        for (int i = 0; i < w; i++) g.bDec[i] = (float) gbDec[i];
        if (tied) foldHalves(g.bDec, 0);
    }

    /** Tied parameter used by both models: its gradient is the sum of both halves' gradients, stored in both. */
    private void foldHalves(float[] a, int off) {
        for (int i = 0; i < d; i++) {
            float s = a[off + i] + a[off + d + i];
            a[off + i] = s;
            a[off + d + i] = s;
        }
    }
}
