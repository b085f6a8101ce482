package org.dfcspark.jobs.harvest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.harvest.PositionMode;
import org.dfcspark.harvest.SinkPolicy;
import org.dfcspark.harvest.TruncationSide;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/**
 * Everything a harvest is run with. Read from command-line flags, or from a HOCON file ({@code --config}, keys
 * named as the flags, optionally inside a {@code harvest { }} block) with flags overriding the file. Shipped
 * to the executors, so it is serialisable and holds no live objects.
 */
public record HarvestOptions(
        String modelA, String modelB, String prompts, String rendering, List<Integer> layers, PositionMode positions,
        String out, ActivationCodec dtype, String computeDtype, boolean shuffle, long shuffleSeed, String master, int maxLength,
        TruncationSide truncation, boolean includeSpecial, double sinkFactor, SinkPolicy sinkPolicy, int batchSize,
        int shardSize, int threads, double progressSeconds)
        implements Serializable {

    /** Flag name -> default (null = required or absent). The same names are the HOCON keys. */
    static final Map<String, String> VALUED = new LinkedHashMap<>();
    static final Set<String> SWITCHES = Set.of("shuffle", "include-special");

    static {
        VALUED.put("model-a", null);
        VALUED.put("model-b", null);
        VALUED.put("prompts", null);
        VALUED.put("layers", null);
        VALUED.put("positions", "last");
        VALUED.put("out", null);
        VALUED.put("rendering", "chat");
        VALUED.put("dtype", "f16");
        VALUED.put("compute-dtype", "f32");
        VALUED.put("shuffle-seed", "42");
        VALUED.put("master", null);
        VALUED.put("max-length", "512");
        VALUED.put("truncation", "right");
        VALUED.put("sink-factor", "100");
        VALUED.put("sink-policy", "drop");
        VALUED.put("batch-size", "8");
        VALUED.put("shard-size", "64");
        VALUED.put("threads", "0");
        VALUED.put("progress-seconds", "10");
    }

    public static Set<String> valuedFlags() {
        Set<String> s = new TreeSet<>(VALUED.keySet());
        s.add("config");
        return s;
    }

    public static Set<String> switchFlags() {
        return SWITCHES;
    }

    /** Flags over the optional HOCON file over the defaults. Malformed values are a {@link UsageException}. */
    public static HarvestOptions from(Args args) {
        Map<String, String> v = new LinkedHashMap<>(VALUED);
        Map<String, Boolean> sw = new LinkedHashMap<>();
        for (String s : SWITCHES) sw.put(s, false);
        if (args.has("config")) readConfig(args.get("config"), v, sw);
        for (String k : VALUED.keySet()) if (args.has(k)) v.put(k, args.get(k));
        for (String s : SWITCHES) if (args.flag(s)) sw.put(s, true);

        for (String req : List.of("model-a", "model-b", "prompts", "layers", "out")) {
            if (v.get(req) == null) throw new UsageException("missing required flag --" + req + " (or key '" + req + "' in --config)");
        }
        try {
            HarvestOptions o = new HarvestOptions(v.get("model-a"), v.get("model-b"), v.get("prompts"),
                    rendering(v.get("rendering")), parseLayers(v.get("layers")), PositionMode.parse(v.get("positions")),
                    v.get("out"), ActivationCodec.parse(v.get("dtype")), computeDtype(v.get("compute-dtype")), sw.get("shuffle"),
                    Long.parseLong(v.get("shuffle-seed").trim()), v.get("master"), positiveInt("max-length", v),
                    TruncationSide.parse(v.get("truncation")), sw.get("include-special"),
                    Double.parseDouble(v.get("sink-factor").trim()), SinkPolicy.parse(v.get("sink-policy")),
                    positiveInt("batch-size", v), positiveInt("shard-size", v), Integer.parseInt(v.get("threads").trim()),
                    Double.parseDouble(v.get("progress-seconds").trim()));
            if (o.sinkFactor < 0 || Double.isNaN(o.sinkFactor)) throw new UsageException("--sink-factor must be >= 0 (0 disables sink detection)");
            if (o.progressSeconds <= 0) throw new UsageException("--progress-seconds must be > 0");
            if (o.threads < 0) throw new UsageException("--threads must be >= 0 (0 = cores / concurrent tasks)");
            return o;
        } catch (NumberFormatException e) {
            throw new UsageException("malformed number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void readConfig(String path, Map<String, String> v, Map<String, Boolean> sw) {
        File f = new File(path);
        if (!f.isFile()) throw new UsageException("config file not found: " + path);
        Config c;
        try {
            c = ConfigFactory.parseFile(f).resolve();
        } catch (ConfigException e) {
            throw new UsageException(path + ": " + e.getMessage());
        }
        if (c.hasPath("harvest")) c = c.getConfig("harvest");
        for (Map.Entry<String, ConfigValue> e : c.root().entrySet()) {
            String key = e.getKey();
            Object raw = e.getValue().unwrapped();
            if (SWITCHES.contains(key)) {
                if (!(raw instanceof Boolean b)) throw new UsageException(path + ": key '" + key + "' must be true or false");
                sw.put(key, b);
            } else if (VALUED.containsKey(key)) {
                v.put(key, raw instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(raw));
            } else {
                throw new UsageException(path + ": unknown key '" + key + "'");
            }
        }
    }

    private static int positiveInt(String key, Map<String, String> v) {
        int n = Integer.parseInt(v.get(key).trim());
        if (n < 1) throw new UsageException("--" + key + " must be >= 1, got " + n);
        return n;
    }

    private static String computeDtype(String d) {
        if (!Set.of("f32", "f16").contains(d)) throw new UsageException("unknown --compute-dtype '" + d + "' (expected f32, or f16 on GPUs)");
        return d;
    }

    private static String rendering(String r) {
        if (!Set.of("raw", "chat", "toolrl").contains(r)) {
            throw new UsageException("unknown rendering '" + r + "' (expected raw, chat or toolrl)");
        }
        return r;
    }

    /** "1,13" -> [1, 13] (sorted, no repeats); a {@link UsageException} otherwise. */
    public static List<Integer> parseLayers(String spec) {
        List<Integer> out = new ArrayList<>();
        for (String p : spec.split(",")) {
            if (p.isBlank()) continue;
            int l;
            try {
                l = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--layers expects comma-separated layer numbers, got '" + spec + "'");
            }
            if (l < 0) throw new UsageException("--layers: layer " + l + " is negative");
            if (out.contains(l)) throw new UsageException("--layers: layer " + l + " given twice");
            out.add(l);
        }
        if (out.isEmpty()) throw new UsageException("--layers is empty");
        out.sort(null);
        return List.copyOf(out);
    }

    /**
     * These options with every path as the executors of {@code conf}'s master must see it ({@link ClusterPaths}):
     * absolute and canonical, or refused with one line.
     */
    public HarvestOptions resolvedFor(org.apache.spark.SparkConf conf) {
        return new HarvestOptions(ClusterPaths.forExecutors(modelA, "--model-a", conf), ClusterPaths.forExecutors(modelB, "--model-b", conf),
                ClusterPaths.forExecutors(prompts, "--prompts", conf), rendering, layers, positions, ClusterPaths.forExecutors(out, "--out", conf),
                dtype, computeDtype, shuffle, shuffleSeed, master, maxLength, truncation, includeSpecial, sinkFactor, sinkPolicy, batchSize,
                shardSize, threads, progressSeconds);
    }

    /**
     * The settings that decide which rows the store holds and their values. A restart must match them
     * exactly; master, threads and progress do not matter and are left out.
     */
    public ObjectNode fingerprint(ObjectMapper json, String configShaA, String configShaB, String tokenizerSha) {
        ObjectNode n = json.createObjectNode();
        n.put("model_a", modelA);
        n.put("model_a_config_sha256", configShaA);
        n.put("model_b", modelB);
        n.put("model_b_config_sha256", configShaB);
        n.put("tokenizer_sha256", tokenizerSha);
        n.put("prompts", prompts);
        n.put("rendering", rendering);
        layers.forEach(n.putArray("layers")::add);
        n.put("positions", positions.id());
        n.put("dtype", dtype.id());
        n.put("compute_dtype", computeDtype);
        n.put("max_length", maxLength);
        n.put("truncation", truncation.id());
        n.put("include_special", includeSpecial);
        n.put("sink_factor", sinkFactor);
        n.put("sink_policy", sinkPolicy.id());
        n.put("batch_size", batchSize);
        n.put("shard_size", shardSize);
        return n;
    }
}
