package org.dfcspark.harvest;

import java.io.Serializable;

/**
 * Per-channel mean and variance plus the mean L2 norm of a stream of vectors, mergeable so that partial
 * results from many tasks combine exactly (Welford updates, Chan et al.'s pairwise merge; doubles
 * throughout, so millions of f16 rows lose nothing that matters). Variance is the population variance
 * (ddof = 0, numpy's default).
 */
public final class ChannelMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dim;
    private long count;
    private final double[] mean;
    private final double[] m2;
    private double normSum;

    public ChannelMoments(int dim) {
        if (dim <= 0) throw new IllegalArgumentException("dimension must be positive, got " + dim);
        this.dim = dim;
        this.mean = new double[dim];
        this.m2 = new double[dim];
    }

    public void add(float[] x) {
        if (x.length != dim) throw new IllegalArgumentException("vector of length " + x.length + ", expected " + dim);
        count++;
        double sq = 0;
        for (int i = 0; i < dim; i++) {
            double v = x[i];
            double delta = v - mean[i];
            mean[i] += delta / count;
            m2[i] += delta * (v - mean[i]);
            sq += v * v;
        }
        normSum += Math.sqrt(sq);
    }

    /** Folds {@code other} into this one and returns this. */
    public ChannelMoments merge(ChannelMoments other) {
        if (other.dim != dim) throw new IllegalArgumentException("cannot merge moments of dimension " + other.dim + " into " + dim);
        if (other.count == 0) return this;
        if (count == 0) {
            count = other.count;
            System.arraycopy(other.mean, 0, mean, 0, dim);
            System.arraycopy(other.m2, 0, m2, 0, dim);
            normSum = other.normSum;
            return this;
        }
        long n = count + other.count;
        for (int i = 0; i < dim; i++) {
            double delta = other.mean[i] - mean[i];
            mean[i] += delta * other.count / n;
            m2[i] += other.m2[i] + delta * delta * ((double) count * other.count / n);
        }
        normSum += other.normSum;
        count = n;
        return this;
    }

    public int dim() {
        return dim;
    }

    public long count() {
        return count;
    }

    public double[] mean() {
        return mean.clone();
    }

    public double[] variance() {
        double[] v = new double[dim];
        if (count > 0) for (int i = 0; i < dim; i++) v[i] = m2[i] / count;
        return v;
    }

    public double meanNorm() {
        return count == 0 ? Double.NaN : normSum / count;
    }
}
