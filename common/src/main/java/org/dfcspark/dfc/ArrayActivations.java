package org.dfcspark.dfc;

/** Paired activations held in memory: {@code n} rows of 2d floats. */
public final class ArrayActivations implements ActivationSource {
    private final float[] data;
    private final int n;
    private final int d;
    private final String name;

    public ArrayActivations(float[] data, int n, int d, String name) {
        if ((long) n * 2 * d != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " values are not " + n + " rows of 2×" + d);
        }
        this.data = data;
        this.n = n;
        this.d = d;
        this.name = name;
    }

    @Override
    public int rows() {
        return n;
    }

    @Override
    public int dim() {
        return d;
    }

    @Override
    public void read(int[] rowIds, int count, float[] out) {
        int w = 2 * d;
        for (int r = 0; r < count; r++) System.arraycopy(data, rowIds[r] * w, out, r * w, w);
    }

    @Override
    public void readRange(int start, int count, float[] out) {
        System.arraycopy(data, start * 2 * d, out, 0, count * 2 * d);
    }

    @Override
    public String describe() {
        return name;
    }
}
