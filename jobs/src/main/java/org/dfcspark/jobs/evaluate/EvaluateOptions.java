package org.dfcspark.jobs.evaluate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import java.io.File;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code bin/dfc evaluate} runs, read from a HOCON file with {@code --set key=value} overrides (the value is
 * HOCON too: {@code --set limit=4}, {@code --set hooks=[blocks.1.hook_resid_post]}). Keys are those of the issue's
 * config; {@code seed} (random-direction controls and bootstrap intervals), {@code shard_size} (prompts per Spark
 * task) and {@code beyond_context} are optional additions. An unknown key is refused with one line. Serialisable:
 * shipped to the executors.
 *
 * @param limit          first N evaluation prompts, -1 = all
 * @param rankingLimit   first N prompts of each ranking table, -1 = all
 * @param maxNewTokens   default 200 (the paper's)
 * @param beyondContext  {@code beyond_context = run}: prompts longer than the models' {@code max_position_embeddings}
 *                       are evaluated anyway (RoPE has no table to run off; HF runs them too), instead of refused
 * @param canonical      the resolved config as JSON: a rerun into the same output must have the same one
 */
public record EvaluateOptions(String modelA, String modelB, String prompts, int limit, String rankingTool, String rankingGeneric,
                              int rankingLimit, List<String> crosscoders, List<String> hooks, Protocol protocol, int maxNewTokens,
                              List<Experiment> experiments, long seed, int shardSize, boolean beyondContext, String canonical) implements Serializable {

    static final Set<String> KEYS = Set.of("model_a", "model_b", "prompts", "limit", "ranking_prompts", "crosscoders", "hooks",
            "protocol", "max_new_tokens", "experiments", "seed", "shard_size", "beyond_context");
    static final Set<String> RANKING_KEYS = Set.of("tool", "generic", "limit");

    public static EvaluateOptions fromFile(String path, List<String> sets) {
        File f = new File(path);
        if (!f.isFile()) throw new IllegalArgumentException("config file not found: " + path);
        try {
            return from(ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)), sets, path);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    public static EvaluateOptions fromString(String hocon, List<String> sets) {
        return from(ConfigFactory.parseString(hocon), sets, "config");
    }

    private static EvaluateOptions from(Config file, List<String> sets, String where) {
        Config c = file;
        for (String s : sets) c = override(c, s);
        c = c.resolve();
        for (String k : c.root().keySet()) {
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown key '" + k + "' (known: " + new TreeSet<>(KEYS) + ")");
        }
        try {
            Config rank = c.getConfig("ranking_prompts");
            for (String k : rank.root().keySet()) {
                if (!RANKING_KEYS.contains(k)) throw new IllegalArgumentException("unknown key 'ranking_prompts." + k + "' (known: " + new TreeSet<>(RANKING_KEYS) + ")");
            }
            Protocol protocol = Protocol.parse(c.hasPath("protocol") ? c.getString("protocol") : "fixed");
            List<Experiment> experiments = new ArrayList<>();
            List<? extends Config> list = c.getConfigList("experiments");
            for (int i = 0; i < list.size(); i++) experiments.add(Experiment.parse(list.get(i), i));
            if (experiments.isEmpty()) throw new IllegalArgumentException("experiments must not be empty");
            List<String> hooks = c.getStringList("hooks"), ccs = c.getStringList("crosscoders");
            if (ccs.isEmpty()) throw new IllegalArgumentException("crosscoders must not be empty");
            int maxNew = c.hasPath("max_new_tokens") ? c.getInt("max_new_tokens") : 200;
            int shard = c.hasPath("shard_size") ? c.getInt("shard_size") : 16;
            if (maxNew < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNew);
            if (shard < 1) throw new IllegalArgumentException("shard_size must be >= 1, got " + shard);
            String beyond = c.hasPath("beyond_context") ? c.getString("beyond_context") : "refuse";
            if (!beyond.equals("refuse") && !beyond.equals("run")) {
                throw new IllegalArgumentException("beyond_context must be refuse or run, got '" + beyond + "'");
            }
            return new EvaluateOptions(c.getString("model_a"), c.getString("model_b"), c.getString("prompts"),
                    c.hasPath("limit") ? c.getInt("limit") : -1, rank.getString("tool"), rank.getString("generic"),
                    rank.hasPath("limit") ? rank.getInt("limit") : -1, List.copyOf(ccs), List.copyOf(hooks), protocol, maxNew,
                    List.copyOf(experiments), c.hasPath("seed") ? c.getLong("seed") : 42, shard, beyond.equals("run"),
                    c.root().render(ConfigRenderOptions.concise().setFormatted(true)));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage().replaceFirst("^[^:]*: ", ""));
        }
    }

    /** {@code key=value}, the value parsed as HOCON (a number, a string, a list, an object). */
    private static Config override(Config c, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got '" + assignment + "'");
        String key = assignment.substring(0, eq).trim();
        try {
            Config one = ConfigFactory.parseString("v = " + assignment.substring(eq + 1).trim());
            return c.withValue(key, one.getValue("v"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("--set " + assignment + ": " + e.getMessage());
        }
    }

    /** The config keys, for the usage text. */
    public static Set<String> keys() {
        return new TreeSet<>(KEYS);
    }

}
