package org.dfcspark.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.Map;

/** What a forward returns; every array belongs to the scope given to {@link Qwen2Model#forward}. */
public final class ForwardResult {
    private final NDArray logits;
    private final Map<HookPoint, NDArray> captured;

    ForwardResult(NDArray logits, Map<HookPoint, NDArray> captured) {
        this.logits = logits;
        this.captured = Collections.unmodifiableMap(captured);
    }

    /** (B, T, V) float logits, (B, 1, V) for {@code Logits.LAST}; throws for {@code Logits.NONE}. */
    public NDArray logits() {
        if (logits == null) throw new IllegalStateException("this forward computed no logits (Logits.NONE)");
        return logits;
    }

    /**
     * The activation recorded by a capture intervention: (B, T, d) over the padded batch for
     * {@code Positions.all()} (pad columns hold values no real token depends on), (B, P, d) for the P selected
     * positions of the other selectors, in selector order.
     */
    public NDArray captured(HookPoint hook) {
        NDArray a = captured.get(hook);
        if (a == null) throw new IllegalArgumentException("nothing was captured at " + hook + " (add Intervention.capture)");
        return a;
    }

    public Map<HookPoint, NDArray> captures() {
        return captured;
    }
}
