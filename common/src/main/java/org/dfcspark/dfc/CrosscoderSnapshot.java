package org.dfcspark.dfc;

import java.io.Serializable;

/**
 * A crosscoder as a plain serialisable value (its config as JSON and copies of its parameter arrays), for sending one
 * between processes: a replica returning what it trained, a driver broadcasting a model to the executors.
 * {@link Crosscoder} itself is not serialisable (it caches staged weights).
 */
public record CrosscoderSnapshot(String configJson, float[][] parameters) implements Serializable {

    public static CrosscoderSnapshot of(Crosscoder cc) {
        float[][] live = cc.parameterArrays(), copy = new float[live.length][];
        for (int i = 0; i < live.length; i++) copy[i] = live[i].clone();
        return new CrosscoderSnapshot(cc.config().toJson(), copy);
    }

    /** The crosscoder's config (shapes, normalisation, provenance), without copying the parameters. */
    public CrosscoderConfig config() {
        return CrosscoderConfig.fromJson(configJson, "crosscoder snapshot");
    }

    /** A new crosscoder with these parameters (the snapshot stays unchanged). */
    public Crosscoder toCrosscoder() {
        Crosscoder cc = new Crosscoder(config());
        float[][] dst = cc.parameterArrays();
        if (dst.length != parameters.length) throw new IllegalArgumentException("crosscoder snapshot: " + parameters.length + " parameter arrays, expected " + dst.length);
        for (int i = 0; i < dst.length; i++) {
            if (dst[i].length != parameters[i].length) {
                throw new IllegalArgumentException("crosscoder snapshot: parameter array " + i + " has " + parameters[i].length + " values, expected " + dst[i].length);
            }
            System.arraycopy(parameters[i], 0, dst[i], 0, dst[i].length);
        }
        cc.parametersChanged();
        return cc;
    }
}
