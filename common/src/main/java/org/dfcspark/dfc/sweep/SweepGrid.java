package org.dfcspark.dfc.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfcspark.dfc.train.TrainConfig;

/**
 * A sweep as data (the dictionary_learning shape: a variant is a record, a sweep is a list of them). A grid file holds
 * the base recipe in {@code train { }} (usually {@code include "../train/paper.conf"}) and a {@code sweep { }} block:
 * <pre>
 * sweep {
 *   name  = "{family}-D{D}{tag}-k{k}"          # placeholders: labels and axis keys
 *   hooks = [blocks.13.hook_resid_post]        # one crosscoder per variant per hook (default: train.hook)
 *   axes {                                     # the Cartesian product, axes in alphabetical order (HOCON objects
 *                                              # are unordered), the first outermost
 *     dict_size = [{dict_size = 8192, D = 8k}, {dict_size = 16384, D = 16k}]   # records: training keys + labels
 *     k = [45, 90, 160]                                                         # scalars: the axis is a training key
 *   }
 *   pack = 0            # variants per Spark task (0 = spread each hook's variants over the task slots)
 *   lockstep = true     # variants of one task share one stream of batches (false: each reads the store itself)
 *   eval_rows = 4096    # rows of the store the summary's metrics are measured on
 * }
 * </pre>
 * In a record, keys that are training keys set them and the others are labels (strings, for the name and the summary).
 * {@code --set key=value} overrides a training key of every variant (after the axes); {@code --set sweep.KEY=value}
 * a sweep setting.
 */
public record SweepGrid(String source, TrainConfig base, String namePattern, List<String> hooks, Map<String, List<AxisValue>> axes,
                        Map<String, String> overrides, Settings settings) {

    /** How the variants are scheduled and measured. */
    public record Settings(int pack, boolean lockstep, int evalRows) implements java.io.Serializable {
        public Settings {
            if (pack < 0) throw new IllegalArgumentException("sweep.pack must be >= 0, got " + pack);
            if (evalRows < 1) throw new IllegalArgumentException("sweep.eval_rows must be >= 1, got " + evalRows);
        }
    }

    /** One value of an axis: the training keys it sets, and its labels. */
    public record AxisValue(Map<String, String> settings, Map<String, String> labels) {}

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Set<String> SWEEP_KEYS = Set.of("name", "hooks", "axes", "pack", "lockstep", "eval_rows");

    public static SweepGrid fromFile(String path) {
        File f = new File(path);
        if (!f.isFile()) throw new IllegalArgumentException("sweep config not found: " + path);
        try {
            return fromConfig(ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)).resolve(), path);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    public static SweepGrid fromConfig(Config c, String where) {
        for (String key : c.root().keySet()) {
            if (!key.equals("train") && !key.equals("sweep")) {
                throw new IllegalArgumentException(where + ": unknown top-level key '" + key + "' (a sweep file has train { } and sweep { })");
            }
        }
        if (!c.hasPath("sweep")) throw new IllegalArgumentException(where + ": no sweep { } block");
        Config s = c.getConfig("sweep");
        for (String key : s.root().keySet()) {
            if (!SWEEP_KEYS.contains(key)) throw new IllegalArgumentException(where + ": unknown key sweep." + key + " (known: " + new java.util.TreeSet<>(SWEEP_KEYS) + ")");
        }
        TrainConfig base = c.hasPath("train") ? TrainConfig.fromHocon(c.getConfig("train"), where) : TrainConfig.defaults();
        String pattern = s.hasPath("name") ? s.getString("name") : null;
        List<String> hooks = s.hasPath("hooks") ? s.getStringList("hooks") : base.hook() == null ? List.of() : List.of(base.hook());
        Map<String, List<AxisValue>> axes = new LinkedHashMap<>();
        if (s.hasPath("axes")) {
            ConfigObject ax = s.getObject("axes");
            for (String axis : new java.util.TreeSet<>(ax.keySet())) axes.put(axis, axisValues(axis, ax.get(axis), where));
        }
        if (pattern == null) pattern = axes.isEmpty() ? "variant" : String.join("-", axes.keySet().stream().map(a -> "{" + a + "}").toList());
        Settings settings = new Settings(s.hasPath("pack") ? s.getInt("pack") : 0, !s.hasPath("lockstep") || s.getBoolean("lockstep"),
                s.hasPath("eval_rows") ? s.getInt("eval_rows") : 4096);
        SweepGrid g = new SweepGrid(where, base, pattern, List.copyOf(hooks), axes, Map.of(), settings);
        g.variants(); // refuse a bad grid now, before anything runs
        return g;
    }

    private static List<AxisValue> axisValues(String axis, ConfigValue v, String where) {
        if (v.valueType() != ConfigValueType.LIST) throw new IllegalArgumentException(where + ": sweep.axes." + axis + " must be a list");
        List<AxisValue> values = new ArrayList<>();
        for (ConfigValue e : (ConfigList) v) {
            Map<String, String> set = new LinkedHashMap<>(), labels = new LinkedHashMap<>();
            if (e.valueType() == ConfigValueType.OBJECT) {
                for (Map.Entry<String, ConfigValue> kv : ((ConfigObject) e).entrySet()) {
                    String text = scalar(kv.getValue(), where + ": sweep.axes." + axis + "." + kv.getKey());
                    if (TrainConfig.keys().contains(kv.getKey())) set.put(kv.getKey(), text);
                    else labels.put(kv.getKey(), text);
                }
            } else {
                if (!TrainConfig.keys().contains(axis)) {
                    throw new IllegalArgumentException(where + ": axis '" + axis + "' is not a training key; give its values as records "
                            + "({key = value, label = text}) (training keys: " + TrainConfig.keys() + ")");
                }
                String text = scalar(e, where + ": sweep.axes." + axis);
                set.put(axis, text);
                labels.put(axis, text);
            }
            for (String forbidden : List.of("store", "hook")) {
                if (set.containsKey(forbidden)) throw new IllegalArgumentException(where + ": '" + forbidden + "' cannot be an axis (use sweep.hooks / --store)");
            }
            values.add(new AxisValue(set, labels));
        }
        if (values.isEmpty()) throw new IllegalArgumentException(where + ": sweep.axes." + axis + " is empty");
        return values;
    }

    private static String scalar(ConfigValue v, String where) {
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
            throw new IllegalArgumentException(where + " must be a number, string or boolean");
        }
        return v.valueType() == ConfigValueType.NULL ? "null" : String.valueOf(v.unwrapped());
    }

    /** This grid with {@code --set} pairs: {@code sweep.KEY} sets a sweep setting, any other a training key of every variant. */
    public SweepGrid with(Map<String, String> sets) {
        Map<String, String> train = new LinkedHashMap<>(overrides);
        Settings st = settings;
        for (var e : sets.entrySet()) {
            String key = e.getKey(), v = e.getValue();
            switch (key) {
                case "sweep.pack" -> st = new Settings(Integer.parseInt(v), st.lockstep(), st.evalRows());
                case "sweep.lockstep" -> st = new Settings(st.pack(), parseBoolean(v), st.evalRows());
                case "sweep.eval_rows" -> st = new Settings(st.pack(), st.lockstep(), Integer.parseInt(v));
                default -> {
                    if (key.startsWith("sweep.")) throw new IllegalArgumentException("unknown sweep setting '" + key + "' (known: sweep.pack, sweep.lockstep, sweep.eval_rows)");
                    if (!TrainConfig.keys().contains(key)) throw new IllegalArgumentException("unknown training key '" + key + "' (known: " + TrainConfig.keys() + ")");
                    train.put(key, v);
                }
            }
        }
        SweepGrid g = new SweepGrid(source, base, namePattern, hooks, axes, Map.copyOf(train), st);
        g.variants();
        return g;
    }

    private static boolean parseBoolean(String v) {
        if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException("sweep.lockstep must be true or false, got '" + v + "'");
        return Boolean.parseBoolean(v);
    }

    public boolean severalHooks() {
        return hooks.size() > 1;
    }

    /** Every variant × hook, hooks outermost, then the axes' Cartesian product (alphabetical, the first outermost). */
    public List<Variant> variants() {
        if (hooks.isEmpty()) throw new IllegalArgumentException(source + ": no hook (sweep.hooks = [blocks.L.hook_resid_post, ...] or train.hook)");
        List<Variant> out = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        List<String> axisNames = new ArrayList<>(axes.keySet());
        for (String hook : hooks) {
            for (List<AxisValue> combo : product(axisNames)) {
                Map<String, String> set = new LinkedHashMap<>(), labels = new LinkedHashMap<>();
                for (AxisValue v : combo) {
                    set.putAll(v.settings());
                    labels.putAll(v.labels());
                }
                Map<String, String> all = new LinkedHashMap<>(set);
                all.putAll(overrides);
                all.put("hook", hook);
                TrainConfig cfg;
                try {
                    cfg = base.with(all);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source + ": variant " + labels + ": " + e.getMessage(), e);
                }
                Map<String, Object> typed = new LinkedHashMap<>();
                Map<String, Object> full = cfg.toMap();
                for (String key : set.keySet()) typed.put(key, full.get(key));
                String name = name(labels, typed);
                Variant v = new Variant(name, hook, cfg, typed, labels);
                if (!ids.add(v.id())) throw new IllegalArgumentException(source + ": two variants are named '" + name + "' (make sweep.name use every axis)");
                out.add(v);
            }
        }
        return out;
    }

    /** The training keys the axes set, in the training config's key order (the summary's typed columns). */
    public List<String> axisKeys() {
        Set<String> set = new java.util.HashSet<>();
        for (List<AxisValue> vs : axes.values()) for (AxisValue v : vs) set.addAll(v.settings().keySet());
        List<String> keys = new ArrayList<>(base.toMap().keySet());
        keys.retainAll(set);
        return List.copyOf(keys);
    }

    /** The labels that are not training keys, alphabetically (the summary's string columns). */
    public List<String> labelKeys() {
        Set<String> keys = new java.util.TreeSet<>();
        for (List<AxisValue> vs : axes.values()) for (AxisValue v : vs) keys.addAll(v.labels().keySet());
        keys.removeAll(axisKeys());
        return List.copyOf(keys);
    }

    private String name(Map<String, String> labels, Map<String, Object> typed) {
        Matcher m = PLACEHOLDER.matcher(namePattern);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String value = labels.containsKey(key) ? labels.get(key) : typed.containsKey(key) ? String.valueOf(typed.get(key)) : null;
            if (value == null) {
                Map<String, Object> known = new TreeMap<>(typed);
                known.putAll(labels);
                throw new IllegalArgumentException(source + ": sweep.name uses {" + key + "}, which no axis gives (known: " + known.keySet() + ")");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        String name = sb.toString();
        if (!name.matches("[A-Za-z0-9._+-]+")) {
            throw new IllegalArgumentException(source + ": variant name '" + name + "' is not a safe directory name (letters, digits, . _ + -)");
        }
        return name;
    }

    private List<List<AxisValue>> product(List<String> axisNames) {
        List<List<AxisValue>> combos = new ArrayList<>();
        combos.add(List.of());
        for (String axis : axisNames) {
            List<List<AxisValue>> next = new ArrayList<>();
            for (List<AxisValue> c : combos) {
                for (AxisValue v : axes.get(axis)) {
                    List<AxisValue> e = new ArrayList<>(c);
                    e.add(v);
                    next.add(e);
                }
            }
            combos = next;
        }
        return combos;
    }
}
