package org.dfcspark.model;

/** When an edit is active during generation: only in the prompt's forward, or also in every decode step. */
public enum Phase {
    PREFILL,
    EVERY_STEP
}
