package org.dfcspark.jobs.evaluate;

import org.dfcspark.data.Rendering;

/**
 * How prompts are rendered and activations fed to the crosscoder (SCIENCE.md §4):
 * {@code paper} reproduces the paper (raw text, raw activations into a crosscoder trained on normalised data, the
 * paper scorer as headline); {@code fixed} corrects it (the model's chat template with tools, the crosscoder's own
 * normalisation, the strict scorer as headline). Both score every generation with all four scorers.
 */
public enum Protocol {
    FIXED("fixed", Rendering.Mode.CHAT, true, "strict"),
    PAPER("paper", Rendering.Mode.RAW, false, "paper");

    private final String id;
    private final Rendering.Mode rendering;
    private final boolean normalizes;
    private final String headline;

    Protocol(String id, Rendering.Mode rendering, boolean normalizes, String headline) {
        this.id = id;
        this.rendering = rendering;
        this.normalizes = normalizes;
        this.headline = headline;
    }

    public String id() {
        return id;
    }

    public Rendering.Mode rendering() {
        return rendering;
    }

    /** Whether activations pass through the crosscoder's normalisation (paper: they do not). */
    public boolean normalizes() {
        return normalizes;
    }

    /** The scorer whose rate the summary leads with. */
    public String headline() {
        return headline;
    }

    public static Protocol parse(String s) {
        for (Protocol p : values()) if (p.id.equals(s)) return p;
        throw new IllegalArgumentException("protocol must be fixed or paper, got '" + s + "'");
    }
}
