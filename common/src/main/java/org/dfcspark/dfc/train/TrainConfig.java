package org.dfcspark.dfc.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.CrosscoderTrainer;
import org.dfcspark.dfc.Init;
import org.dfcspark.dfc.LossKind;
import org.dfcspark.dfc.LrSchedule;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.Partition;
import org.dfcspark.dfc.Sparsity;

/**
 * Everything one crosscoder training run is made of, as data: the store and hook, the crosscoder's hyperparameters,
 * the optimiser and schedule, the batch and steps, the checkpoint policy and the data-parallel layout. The defaults
 * live in one place only, {@code defaults.conf} beside this class; HOCON files ({@code conf/train/*.conf}, keys at the
 * top level or inside a {@code train { }} block) and {@code --set key=value} override them, in that order. A key that
 * is not a default's key is refused. {@link #toJson()} and {@link #fromJson} round-trip exactly.
 */
public record TrainConfig(
        String store, String hook, int shuffleBlock, int streams, long maxBadRows,
        int dictSize, int k, double exclA, double exclB, Coupling coupling, Sparsity sparsity, LossKind loss,
        double l1Shared, double l1Excl, double auxkAlpha, long deadTokens, String normalization, Init.Weights init,
        Init.DecoderBias biasInit,
        double lr, double clip, int warmup, double decayStart, long thresholdStart, double thresholdBeta,
        int steps, int batch, long seed,
        int checkpointEvery, int logEvery, int replicas, SyncMode sync, int maxAttempts, int hashEvery, int threads)
        implements Serializable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Keys of older checkpoints that are no longer training settings. */
    static final java.util.List<String> RETIRED_KEYS = java.util.List.of("testing_fail_at_step", "testing_step_delay_ms");
    private static final Config DEFAULTS = ConfigFactory.parseResources(TrainConfig.class, "defaults.conf",
            ConfigParseOptions.defaults().setAllowMissing(false));

    public TrainConfig {
        require(shuffleBlock >= 1, "shuffle_block must be >= 1, got " + shuffleBlock);
        require(streams >= 0, "streams must be >= 0, got " + streams);
        require(maxBadRows >= 0, "max_bad_rows must be >= 0, got " + maxBadRows);
        require(dictSize > 0, "dict_size must be positive, got " + dictSize);
        require(steps > 0, "steps must be positive, got " + steps);
        require(batch > 0, "batch must be positive, got " + batch);
        require(replicas >= 1, "replicas must be >= 1, got " + replicas);
        require(logEvery >= 1, "log_every must be >= 1, got " + logEvery);
        require(checkpointEvery >= 0, "checkpoint_every must be >= 0, got " + checkpointEvery);
        require(maxAttempts >= 1, "max_attempts must be >= 1, got " + maxAttempts);
        require(hashEvery >= 1, "hash_every must be >= 1, got " + hashEvery);
        require(threads >= 0, "threads must be >= 0, got " + threads);
        require(Set.of("scalar", "zscore", "none").contains(normalization),
                "normalization must be scalar, zscore or none, got '" + normalization + "'");
        require(clip >= 0, "clip must be >= 0, got " + clip);
        int s = effectiveStreams(streams, replicas);
        require(s % replicas == 0, "streams (" + s + ") must be a multiple of replicas (" + replicas + ")");
        require(batch % s == 0, "batch (" + batch + ") must be divisible by the number of streams (" + s + ")");
        require(sync.every() == 1 || checkpointEvery % sync.every() == 0,
                "checkpoint_every (" + checkpointEvery + ") must be a multiple of sync's H (" + sync.every() + ")");
        // The crosscoder's own checks (k against the dictionary, shares, coefficients) run here too, so a bad
        // config is refused before any data is read.
        Partition p = Partition.ofShares(dictSize, exclA, exclB);
        CrosscoderConfig.paper(1, dictSize, k, p.nA(), p.nB()).withSparsity(sparsity).withLoss(loss, l1Shared, l1Excl).withAuxK(auxkAlpha, deadTokens);
        new LrSchedule(lr, warmup, decayStep(decayStart, steps), steps);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static int effectiveStreams(int streams, int replicas) {
        return streams == 0 ? replicas : streams;
    }

    // ---- derived settings ----

    /** Number of data sub-streams: each global batch takes {@link #microBatch()} rows from each of them. */
    public int streamCount() {
        return effectiveStreams(streams, replicas);
    }

    /** Rows per stream per step. */
    public int microBatch() {
        return batch / streamCount();
    }

    /** The TransformerLens hook's layer ({@code blocks.L.hook_resid_post} → L); -1 without a hook. */
    public int layer() {
        return hookLayer(hook);
    }

    public static int hookLayer(String hook) {
        if (hook == null) return -1;
        var m = java.util.regex.Pattern.compile("blocks\\.(\\d+)\\.hook_resid_post").matcher(hook);
        if (!m.matches()) {
            throw new IllegalArgumentException("hook must be a TransformerLens residual hook 'blocks.L.hook_resid_post', got '" + hook + "'");
        }
        return Integer.parseInt(m.group(1));
    }

    public Partition partition() {
        return Partition.ofShares(dictSize, exclA, exclB);
    }

    /** The crosscoder's config for activations of dimension {@code d} with the given (fitted) normalisation. */
    public CrosscoderConfig crosscoderConfig(int d, Normalization norm) {
        Partition p = partition();
        double l1 = loss == LossKind.REFERENCE ? CrosscoderConfig.DEFAULT_L1 : l1Shared;
        return CrosscoderConfig.paper(d, dictSize, k, p.nA(), p.nB())
                .withSparsity(sparsity).withCoupling(coupling).withLoss(loss, l1, l1Excl).withAuxK(auxkAlpha, deadTokens)
                .withNormalization(norm);
    }

    public CrosscoderTrainer.Options trainerOptions() {
        return new CrosscoderTrainer.Options(new LrSchedule(lr, warmup, decayStep(decayStart, steps), steps), clip, biasInit, thresholdStart, thresholdBeta);
    }

    /** {@code decay_start} as a step: a value in (0, 1) is a fraction of the steps (0.8 = the last 20%), -1 = no decay. */
    static int decayStep(double decayStart, int steps) {
        if (decayStart < 0) return -1;
        if (decayStart > 0 && decayStart < 1) return (int) (decayStart * steps);
        if (decayStart != Math.rint(decayStart)) throw new IllegalArgumentException("decay_start must be a step, a fraction in (0, 1) or -1, got " + decayStart);
        return (int) decayStart;
    }

    /** The normalisation scheme, or null for none. */
    public Normalization.Scheme normalizationScheme() {
        return normalization.equals("none") ? null : Normalization.Scheme.parse(normalization);
    }

    // ---- reading and writing ----

    /** The defaults alone. */
    public static TrainConfig defaults() {
        return from(ConfigFactory.empty());
    }

    /** A HOCON file over the defaults (keys at the top level or in a {@code train { }} block). */
    public static TrainConfig fromFile(String path) {
        File f = new File(path);
        if (!f.isFile()) throw new IllegalArgumentException("config file not found: " + path);
        try {
            return from(unwrap(ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)), path));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    /** A parsed HOCON object of training keys over the defaults (a sweep file's {@code train { }} block). */
    public static TrainConfig fromHocon(Config c, String where) {
        try {
            return from(c);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    /**
     * JSON as written by {@link #toJson()} (or any subset of keys) over the defaults. The test-hook keys that checkpoints
     * written before 2026-12-06 carry ({@link #RETIRED_KEYS}) are ignored; tests now inject faults through
     * {@link org.dfcspark.testing.InjectedFaults}.
     */
    public static TrainConfig fromJson(String json, String where) {
        try {
            Config c = unwrap(ConfigFactory.parseString(json), where);
            for (String k : RETIRED_KEYS) c = c.withoutPath(k);
            return from(c);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static Config unwrap(Config c, String where) {
        if (c.hasPath("train") && c.getValue("train").valueType() == com.typesafe.config.ConfigValueType.OBJECT) {
            if (c.root().size() != 1) throw new IllegalArgumentException(where + ": keys outside the train { } block: " + c.root().keySet());
            return c.getConfig("train");
        }
        return c;
    }

    /** This config with {@code key=value} pairs applied ({@code --set}); unknown keys and bad values are refused. */
    public TrainConfig with(Map<String, String> overrides) {
        Config c = asHocon();
        for (var e : overrides.entrySet()) {
            String v = e.getValue();
            c = c.withValue(e.getKey(), v == null || v.equals("null") ? ConfigValueFactory.fromAnyRef(null) : ConfigValueFactory.fromAnyRef(v));
        }
        return from(c);
    }

    /** Parses {@code key=value} (the CLI's --set). */
    public static Map.Entry<String, String> parseAssignment(String s) {
        int eq = s.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got '" + s + "'");
        return Map.entry(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
    }

    /** Every key, in the defaults' order. */
    public static Set<String> keys() {
        return new TreeSet<>(DEFAULTS.root().keySet());
    }

    private static TrainConfig from(Config user) {
        for (String key : user.root().keySet()) {
            if (RETIRED_KEYS.contains(key)) {
                throw new IllegalArgumentException("training key '" + key + "' was removed: tests inject faults with -D"
                        + org.dfcspark.testing.InjectedFaults.PROPERTY + "=train.fail-at-step=N or train.step-delay-ms=N");
            }
            if (!DEFAULTS.root().containsKey(key)) {
                throw new IllegalArgumentException("unknown training key '" + key + "' (known: " + keys() + ")");
            }
        }
        Config c = user.withFallback(DEFAULTS).resolve();
        try {
            return new TrainConfig(str(c, "store"), str(c, "hook"), c.getInt("shuffle_block"), c.getInt("streams"), c.getLong("max_bad_rows"),
                    c.getInt("dict_size"), c.getInt("k"), c.getDouble("excl_a"), c.getDouble("excl_b"),
                    Coupling.parse(c.getString("coupling")), Sparsity.parse(c.getString("sparsity")), LossKind.parse(c.getString("loss")),
                    c.getDouble("l1_shared"), c.getDouble("l1_excl"), c.getDouble("auxk_alpha"), c.getLong("dead_tokens"),
                    c.getString("normalization"), Init.Weights.parse(c.getString("init")), Init.DecoderBias.parse(c.getString("bias_init")),
                    c.getDouble("lr"), c.getDouble("clip"), c.getInt("warmup"), c.getDouble("decay_start"), c.getLong("threshold_start"),
                    c.getDouble("threshold_beta"), c.getInt("steps"), c.getInt("batch"), c.getLong("seed"),
                    c.getInt("checkpoint_every"), c.getInt("log_every"), c.getInt("replicas"), SyncMode.parse(c.getString("sync")), c.getInt("max_attempts"),
                    c.getInt("hash_every"), c.getInt("threads"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage().replaceFirst("^[^:]*: ", ""));
        }
    }

    private static String str(Config c, String key) {
        return c.getIsNull(key) ? null : c.getString(key);
    }

    /** Key → value, snake_case, in the defaults' key order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", store);
        m.put("hook", hook);
        m.put("shuffle_block", shuffleBlock);
        m.put("streams", streams);
        m.put("max_bad_rows", maxBadRows);
        m.put("dict_size", dictSize);
        m.put("k", k);
        m.put("excl_a", exclA);
        m.put("excl_b", exclB);
        m.put("coupling", coupling.id());
        m.put("sparsity", sparsity.id());
        m.put("loss", loss.id());
        m.put("l1_shared", l1Shared);
        m.put("l1_excl", l1Excl);
        m.put("auxk_alpha", auxkAlpha);
        m.put("dead_tokens", deadTokens);
        m.put("normalization", normalization);
        m.put("init", init.id());
        m.put("bias_init", biasInit.id());
        m.put("lr", lr);
        m.put("clip", clip);
        m.put("warmup", warmup);
        m.put("decay_start", decayStart);
        m.put("threshold_start", thresholdStart);
        m.put("threshold_beta", thresholdBeta);
        m.put("steps", steps);
        m.put("batch", batch);
        m.put("seed", seed);
        m.put("checkpoint_every", checkpointEvery);
        m.put("log_every", logEvery);
        m.put("replicas", replicas);
        m.put("sync", sync.id());
        m.put("max_attempts", maxAttempts);
        m.put("hash_every", hashEvery);
        m.put("threads", threads);
        return m;
    }

    private Config asHocon() {
        return ConfigFactory.parseMap(toMap());
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(toMap()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The settings that decide the trained parameters (everything but the checkpoint/log cadence and threads): a resumed
     * run must match them.
     */
    public Map<String, Object> identity() {
        Map<String, Object> m = toMap();
        for (String k : new String[] {"checkpoint_every", "log_every", "max_attempts", "hash_every", "threads", "max_bad_rows"}) m.remove(k);
        return m;
    }

    /** The settings that decide which rows each step reads: crosscoders that agree on them can train in lockstep. */
    public Map<String, Object> dataIdentity() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", store);
        m.put("hook", hook);
        m.put("shuffle_block", shuffleBlock);
        m.put("streams", streamCount());
        m.put("batch", batch);
        m.put("seed", seed);
        m.put("replicas", replicas);
        m.put("sync", sync.id());
        return m;
    }

    /** The data settings that differ between {@code this} and {@code other} ("" when they read the same batches). */
    public String dataDifference(TrainConfig other) {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> mine = dataIdentity(), theirs = other.dataIdentity();
        for (String key : mine.keySet()) {
            if (!String.valueOf(mine.get(key)).equals(String.valueOf(theirs.get(key)))) {
                if (sb.length() > 0) sb.append(", ");
                sb.append(key).append(' ').append(mine.get(key)).append(" / ").append(theirs.get(key));
            }
        }
        return sb.toString();
    }

    /** A one-line description of the settings that differ between {@code this} and {@code other}'s identity. */
    public String identityDifference(Map<String, Object> other) {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> mine = identity();
        for (String key : mine.keySet()) {
            Object a = mine.get(key), b = other.get(key);
            if (!String.valueOf(a).equals(String.valueOf(b))) {
                if (sb.length() > 0) sb.append(", ");
                sb.append(key).append(' ').append(b).append(" -> ").append(a);
            }
        }
        return sb.toString();
    }
}
