package org.dfcspark.eval;

/**
 * How a steering condition moves the residual of model m along the decoder directions {@code d_i = W_dec[i,·]/s}
 * of its features S (raw units, see {@link Steering#featureDirection}):
 * <ul>
 *   <li>{@code scale}: {@code Δ = Σ_{i∈S} (α − 1)·f_i·d_{i,m}}, f_i = the feature's activation at that position;</li>
 *   <li>{@code clamp}: {@code Δ = Σ_{i∈S} (c − f_i)·d_{i,m}};</li>
 *   <li>{@code add}: {@code Δ = Σ_{i∈S} β·mean_f_i·d_{i,side}}, mean_f_i = the feature's mean activation on the
 *       ranking's tool prompts, side chosen freely (B can be steered with an A-exclusive feature's A decoder).</li>
 * </ul>
 */
public enum SteeringMode {
    SCALE("scale", "alpha"), CLAMP("clamp", "c"), ADD("add", "beta");

    private final String id;
    private final String coefficientName;

    SteeringMode(String id, String coefficientName) {
        this.id = id;
        this.coefficientName = coefficientName;
    }

    public String id() {
        return id;
    }

    /** alpha, c or beta. */
    public String coefficientName() {
        return coefficientName;
    }

    /** Whether Δ depends on the feature's activation at the position (which needs the pair (A, B) encoded there). */
    public boolean readsActivation() {
        return this != ADD;
    }

    public static SteeringMode parse(String s) {
        for (SteeringMode m : values()) if (m.id.equals(s)) return m;
        throw new IllegalArgumentException("steering mode must be scale, clamp or add, got '" + s + "'");
    }
}
