package org.dfcspark.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A named activation site, spelled as in TransformerLens.
 *
 * <ul>
 *   <li>{@code blocks.L.hook_resid_pre}: the input of decoder layer L (L = 0: the token embeddings);</li>
 *   <li>{@code blocks.L.hook_resid_post}: the raw output of decoder layer L, which is HF
 *       {@code hidden_states[L+1]} for every layer but the last (HF's last entry is after the final norm);</li>
 *   <li>{@code ln_final.hook_normalized}: the final RMSNorm's output, HF's last {@code hidden_states} entry.</li>
 * </ul>
 * {@code blocks.L.hook_resid_post} and {@code blocks.(L+1).hook_resid_pre} see the same tensor; edits at the
 * former are applied first.
 */
public record HookPoint(Site site, int layer) {
    public enum Site { RESID_PRE, RESID_POST, FINAL_NORM }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d{1,6})\\.hook_resid_(pre|post)");
    public static final String FINAL_NORM_NAME = "ln_final.hook_normalized";

    public HookPoint {
        if (site == Site.FINAL_NORM) layer = -1;
        else if (layer < 0) throw new IllegalArgumentException("hook point layer must be >= 0, got " + layer);
    }

    public static HookPoint residPre(int layer) {
        return new HookPoint(Site.RESID_PRE, layer);
    }

    public static HookPoint residPost(int layer) {
        return new HookPoint(Site.RESID_POST, layer);
    }

    public static HookPoint finalNorm() {
        return new HookPoint(Site.FINAL_NORM, -1);
    }

    /** Parses a TransformerLens name; throws IllegalArgumentException naming the bad string. */
    public static HookPoint parse(String name) {
        if (FINAL_NORM_NAME.equals(name)) return finalNorm();
        Matcher m = BLOCK.matcher(name == null ? "" : name);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown hook point '" + name
                    + "' (expected blocks.L.hook_resid_pre, blocks.L.hook_resid_post or " + FINAL_NORM_NAME + ")");
        }
        int layer = Integer.parseInt(m.group(1));
        return m.group(2).equals("pre") ? residPre(layer) : residPost(layer);
    }

    public String name() {
        return switch (site) {
            case RESID_PRE -> "blocks." + layer + ".hook_resid_pre";
            case RESID_POST -> "blocks." + layer + ".hook_resid_post";
            case FINAL_NORM -> FINAL_NORM_NAME;
        };
    }

    /** Throws IllegalArgumentException when a model with {@code numLayers} layers has no such site. */
    void checkFits(int numLayers) {
        if (site != Site.FINAL_NORM && layer >= numLayers) {
            throw new IllegalArgumentException("hook point " + name() + ": the model has " + numLayers + " layers (0.."
                    + (numLayers - 1) + ")");
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
