package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer, preallocated once for the whole generation as (B, kvHeads, capacity, headDim);
 * each step writes its columns in place and attends to a view of the filled prefix (no per-step concatenation).
 */
final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;

    KvCache(NDManager m, Qwen2Config c, int batch, int capacity, DataType dtype) {
        this.capacity = capacity;
        int layers = c.numHiddenLayers();
        keys = new NDArray[layers];
        values = new NDArray[layers];
        Shape shape = new Shape(batch, c.numKeyValueHeads(), capacity, c.headDim());
        for (int l = 0; l < layers; l++) {
            keys[l] = m.zeros(shape, dtype);
            values[l] = m.zeros(shape, dtype);
        }
    }

    /** Copies the first {@code columns} columns of a one-row cache into every row of this one (a shared prefix). */
    void copyPrefixToEveryRow(KvCache one, int columns) {
        if (columns > capacity || columns > one.capacity) throw new IllegalStateException("prefix of " + columns + " columns does not fit");
        NDIndex cols = new NDIndex(":, :, :{}, :", columns);
        for (int l = 0; l < keys.length; l++) {
            Shape target = keys[l].getShape().slice(0, 2).addAll(new Shape(columns, keys[l].getShape().get(3)));
            try (NDArray k = one.keys[l].get(cols); NDArray v = one.values[l].get(cols);
                 NDArray kb = k.broadcast(target); NDArray vb = v.broadcast(target)) {
                keys[l].set(cols, kb);
                values[l].set(cols, vb);
            }
        }
    }

    /**
     * Copies the first {@code columns} columns of every row of {@code rows} into this cache's rows from {@code row0},
     * at columns from {@code column0} (a prompt left-padded into a wider batch).
     */
    void copyRows(KvCache rows, int row0, int column0, int columns) {
        if (column0 + columns > capacity || columns > rows.capacity) throw new IllegalStateException(columns + " columns do not fit");
        int n = (int) rows.keys[0].getShape().get(0);
        NDIndex from = new NDIndex(":, :, :{}, :", columns);
        NDIndex to = new NDIndex("{}:{}, :, {}:{}, :", row0, row0 + n, column0, column0 + columns);
        for (int l = 0; l < keys.length; l++) {
            try (NDArray k = rows.keys[l].get(from); NDArray v = rows.values[l].get(from)) {
                keys[l].set(to, k);
                values[l].set(to, v);
            }
        }
    }

    int capacity() {
        return capacity;
    }

    /** Bytes held by the keys and values of every layer. */
    long bytes() {
        long n = 0;
        for (int l = 0; l < keys.length; l++) n += (keys[l].size() + values[l].size()) * keys[l].getDataType().getNumOfBytes();
        return n;
    }

    /** Writes k, v (B, kvH, T, hd) at columns [start, start + T). */
    void write(int layer, NDArray k, NDArray v, int start) {
        long t = k.getShape().get(2);
        if (start + t > capacity) throw new IllegalStateException("KV cache full: " + (start + t) + " > " + capacity);
        NDIndex cols = new NDIndex(":, :, {}:{}, :", start, start + t);
        keys[layer].set(cols, k);
        values[layer].set(cols, v);
    }

    /** A copy of a layer's keys (B, kvH, capacity, hd), for {@link CpuDecoder} (float32 models only). */
    float[] keysAsFloats(int layer) {
        return keys[layer].toFloatArray();
    }

    float[] valuesAsFloats(int layer) {
        return values[layer].toFloatArray();
    }

    /** View of the first {@code length} key columns, registered in {@code m}. */
    NDArray keys(int layer, NDManager m, int length) {
        return keys[layer].get(m, new NDIndex(":, :, :{}, :", length));
    }

    NDArray values(int layer, NDManager m, int length) {
        return values[layer].get(m, new NDIndex(":, :, :{}, :", length));
    }
}
