package org.dfcspark.dfc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dfcspark.dfc.rules.LossRule;
import org.dfcspark.dfc.rules.LossRules;
import org.dfcspark.dfc.rules.SparsityRule;
import org.dfcspark.dfc.rules.SparsityRules;

/**
 * Everything that defines a crosscoder apart from its weights; the checkpoint's config.json.
 *
 * <p>The first five JSON keys are the paper's own ({@code activation_dim, dict_size, k, n_a, n_b}), so the
 * paper's loader reads our checkpoints; a config.json with only those keys loads as the paper's per-sample-TopK
 * crosscoder with its loss defaults and identity normalisation.
 *
 * <p>The components are hyperparameters, chosen before training, except {@code learned} (what training learned) and
 * {@code provenance}. The sparsity rule and the loss are named here and implemented by the classes that
 * {@link #sparsityRule()} and {@link #lossRule()} return.
 *
 * @param l1         paper: λ_sh (the shared-feature L1 coefficient); anthropic: λ; unused by reference
 * @param l1Excl     paper: λ_excl (coefficient of the per-model A∪S / B∪S L1 term)
 * @param auxkAlpha  reference: weight of the AuxK term (1/32 upstream)
 * @param deadTokens a latent that has not fired for this many rows is dead (AuxK and the dead-fraction metric)
 * @param learned    what training learned (normalisation, batchtopk threshold), apart from the hyperparameters above
 * @param provenance free-form training provenance (data, steps, seed, code version), written last
 */
public record CrosscoderConfig(int activationDim, int dictSize, int k, int nA, int nB,
                               Sparsity sparsity, LossKind loss, double l1, double l1Excl, double auxkAlpha,
                               long deadTokens, Coupling coupling, LearnedState learned, Map<String, Object> provenance) {

    public static final double DEFAULT_L1 = 1e-3;
    public static final double DEFAULT_AUXK_ALPHA = 1.0 / 32;
    public static final long DEFAULT_DEAD_TOKENS = 10_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> KNOWN = Set.of("activation_dim", "dict_size", "k", "n_a", "n_b", "sparsity", "loss",
            "coupling", "normalization", "threshold", "training");

    public CrosscoderConfig {
        if (activationDim <= 0) throw new IllegalArgumentException("activation_dim must be positive, got " + activationDim);
        new Partition(dictSize, nA, nB); // validates the sizes
        if (sparsity != Sparsity.RELU && (k <= 0 || k > dictSize)) {
            throw new IllegalArgumentException("k must be in [1, dict_size = " + dictSize + "] for " + sparsity.id() + ", got " + k);
        }
        if (!(l1 >= 0) || !(l1Excl >= 0) || !(auxkAlpha >= 0)) {
            throw new IllegalArgumentException("loss coefficients must be >= 0 (l1 " + l1 + ", l1_excl " + l1Excl + ", auxk_alpha " + auxkAlpha + ")");
        }
        if (deadTokens < 0) throw new IllegalArgumentException("dead_tokens must be >= 0, got " + deadTokens);
        if (learned == null) learned = LearnedState.NONE;
        Normalization norm = learned.normalization();
        if (norm != null && norm.dim() != activationDim) {
            throw new IllegalArgumentException("normalisation statistics have d = " + norm.dim() + ", activation_dim is " + activationDim);
        }
        provenance = provenance == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(provenance));
    }

    /** The learned state given as its two parts (callers that predate {@link LearnedState}). */
    public CrosscoderConfig(int activationDim, int dictSize, int k, int nA, int nB,
                            Sparsity sparsity, LossKind loss, double l1, double l1Excl, double auxkAlpha,
                            long deadTokens, Coupling coupling, Normalization normalization, double threshold,
                            Map<String, Object> provenance) {
        this(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling,
                new LearnedState(normalization, threshold), provenance);
    }

    /** The paper's crosscoder: per-sample TopK, the paper's loss (λ = 1e-3 for both terms), separate decoders. */
    public static CrosscoderConfig paper(int activationDim, int dictSize, int k, int nA, int nB) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, Sparsity.TOPK, LossKind.PAPER, DEFAULT_L1, DEFAULT_L1,
                DEFAULT_AUXK_ALPHA, DEFAULT_DEAD_TOKENS, Coupling.SEPARATE, LearnedState.NONE, Map.of());
    }

    /** Learned normalisation statistics; null = identity. */
    public Normalization normalization() {
        return learned.normalization();
    }

    /** Learned batchtopk inference threshold; negative = not learned yet. */
    public double threshold() {
        return learned.threshold();
    }

    public Partition partition() {
        return new Partition(dictSize, nA, nB);
    }

    /** The class that implements {@link #sparsity()}. */
    public SparsityRule sparsityRule() {
        return SparsityRules.of(sparsity);
    }

    /** The class that implements {@link #loss()}. */
    public LossRule lossRule() {
        return LossRules.of(loss);
    }

    public CrosscoderConfig withSparsity(Sparsity s) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, s, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling, learned, provenance);
    }

    public CrosscoderConfig withLoss(LossKind kind, double l1, double l1Excl) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, kind, l1, l1Excl, auxkAlpha, deadTokens, coupling, learned, provenance);
    }

    public CrosscoderConfig withAuxK(double alpha, long deadTokens) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, alpha, deadTokens, coupling, learned, provenance);
    }

    public CrosscoderConfig withCoupling(Coupling c) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, c, learned, provenance);
    }

    public CrosscoderConfig withNormalization(Normalization n) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling, learned.withNormalization(n), provenance);
    }

    public CrosscoderConfig withThreshold(double t) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling, learned.withThreshold(t), provenance);
    }

    public CrosscoderConfig withLearned(LearnedState state) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling, state, provenance);
    }

    public CrosscoderConfig withProvenance(Map<String, Object> p) {
        return new CrosscoderConfig(activationDim, dictSize, k, nA, nB, sparsity, loss, l1, l1Excl, auxkAlpha, deadTokens, coupling, learned, p);
    }

    // ---- JSON ----

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("activation_dim", activationDim);
        o.put("dict_size", dictSize);
        o.put("k", k);
        o.put("n_a", nA);
        o.put("n_b", nB);
        o.put("sparsity", sparsity.id());
        ObjectNode l = o.putObject("loss");
        l.put("kind", loss.id());
        switch (loss) {
            case PAPER -> { l.put("l1_shared", l1); l.put("l1_exclusive", l1Excl); }
            case ANTHROPIC -> l.put("l1", l1);
            case REFERENCE -> l.put("auxk_alpha", auxkAlpha);
        }
        l.put("dead_tokens", deadTokens);
        o.put("coupling", coupling.id());
        Normalization normalization = normalization();
        if (normalization == null) {
            o.putNull("normalization");
        } else {
            ObjectNode n = o.putObject("normalization");
            n.put("scheme", normalization.scheme().id());
            n.put("shared", normalization.shared());
            putMatrix(n.putArray("mean"), normalization.mean(), activationDim);
            putMatrix(n.putArray("scale"), normalization.scale(), activationDim);
        }
        if (sparsityRule().learnsThreshold()) o.put("threshold", threshold());
        o.set("training", JSON.valueToTree(provenance));
        try {
            return JSON.writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putMatrix(ArrayNode target, float[] values, int d) {
        for (int m = 0; m < 2; m++) {
            ArrayNode row = target.addArray();
            for (int i = 0; i < d; i++) row.add(values[m * d + i]);
        }
    }

    /** Parses config.json; {@code where} names the file in error messages. */
    public static CrosscoderConfig fromJson(String text, String where) {
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException(where + ": not a JSON object");
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KNOWN.contains(key)) throw new IllegalArgumentException(where + ": unknown key '" + key + "'");
        }
        int d = intField(o, "activation_dim", where), dict = intField(o, "dict_size", where), k = intField(o, "k", where);
        int nA = intField(o, "n_a", where), nB = intField(o, "n_b", where);
        try {
            Sparsity sp = o.has("sparsity") ? Sparsity.parse(o.get("sparsity").asText()) : Sparsity.TOPK;
            LossKind kind = LossKind.PAPER;
            double l1 = DEFAULT_L1, l1Excl = DEFAULT_L1, alpha = DEFAULT_AUXK_ALPHA;
            long dead = DEFAULT_DEAD_TOKENS;
            JsonNode l = o.get("loss");
            if (l != null && !l.isNull()) {
                if (!l.isObject() || !l.has("kind")) throw new IllegalArgumentException("'loss' must be an object with a 'kind'");
                kind = LossKind.parse(l.get("kind").asText());
                if (kind == LossKind.PAPER) {
                    l1 = num(l, "l1_shared", DEFAULT_L1);
                    l1Excl = num(l, "l1_exclusive", DEFAULT_L1);
                } else if (kind == LossKind.ANTHROPIC) {
                    l1 = num(l, "l1", DEFAULT_L1);
                } else {
                    alpha = num(l, "auxk_alpha", DEFAULT_AUXK_ALPHA);
                }
                dead = (long) num(l, "dead_tokens", DEFAULT_DEAD_TOKENS);
            }
            Coupling c = o.has("coupling") ? Coupling.parse(o.get("coupling").asText()) : Coupling.SEPARATE;
            Normalization norm = null;
            JsonNode n = o.get("normalization");
            if (n != null && !n.isNull()) {
                if (!n.isObject()) throw new IllegalArgumentException("'normalization' must be null or an object");
                norm = new Normalization(Normalization.Scheme.parse(n.path("scheme").asText()), n.path("shared").asBoolean(false), d,
                        matrix(n.get("mean"), d, "normalization.mean"), matrix(n.get("scale"), d, "normalization.scale"));
            }
            double threshold = o.has("threshold") ? o.get("threshold").asDouble() : -1;
            Map<String, Object> prov = new LinkedHashMap<>();
            if (o.has("training") && o.get("training").isObject()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> p = JSON.convertValue(o.get("training"), Map.class);
                prov.putAll(p);
            }
            return new CrosscoderConfig(d, dict, k, nA, nB, sp, kind, l1, l1Excl, alpha, dead, c, new LearnedState(norm, threshold), prov);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static int intField(JsonNode o, String key, String where) {
        JsonNode v = o.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": '" + key + "' must be an integer" + (v == null ? " (missing)" : ", got " + v));
        }
        return v.asInt();
    }

    private static double num(JsonNode o, String key, double dflt) {
        JsonNode v = o.get(key);
        if (v == null) return dflt;
        if (!v.isNumber()) throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
        return v.asDouble();
    }

    private static float[] matrix(JsonNode a, int d, String name) {
        if (a == null || !a.isArray() || a.size() != 2) throw new IllegalArgumentException("'" + name + "' must be a 2 × " + d + " array");
        float[] out = new float[2 * d];
        for (int m = 0; m < 2; m++) {
            JsonNode row = a.get(m);
            if (!row.isArray() || row.size() != d) throw new IllegalArgumentException("'" + name + "' row " + m + " must have " + d + " numbers");
            for (int i = 0; i < d; i++) {
                if (!row.get(i).isNumber()) throw new IllegalArgumentException("'" + name + "' [" + m + "][" + i + "] is not a number");
                out[m * d + i] = (float) row.get(i).asDouble();
            }
        }
        return out;
    }
}
