package org.dfcspark.jobs.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.harvest.HarvestOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.model.HookPoint;

/**
 * One experiment as data: the model pair, the hooks, the training prompts and the four stage blocks, each holding its
 * stage's own keys (the format of {@code bin/dfc harvest --config}, of a sweep grid file, of {@code bin/dfc evaluate
 * --config}), minus what the experiment derives for it:
 * <pre>
 * model_a = DIR                     # A: the RL-fine-tuned model; B: its base
 * model_b = DIR
 * hooks = [blocks.2.hook_resid_post]
 * training_prompts { tool = TABLE, generic = TABLE, limit = 48 }   # limit: first N of each (optional)
 * harvest { ... }    # harvest keys; model-a, model-b, prompts, layers, out are set here (prompts: tool + generic combined)
 * sweep { ... }      # train { } + sweep { } of a grid file (or train { } alone: one crosscoder); train.store and sweep.hooks set here
 * evaluate { ... }   # evaluate keys; model_a, model_b, crosscoders set here; hooks default to the experiment's, ranking_prompts
 *                    # to training_prompts; protocols = [fixed, paper] runs one evaluation per protocol
 * report { context_prompts = 32 }   # bin/dfc report's --context-prompts (the only report setting)
 * </pre>
 * Paths in the stage blocks are resolved by the jobs as their commands resolve them (against the working directory).
 */
public record ExperimentConfig(String source, String modelA, String modelB, List<String> hooks, String toolPrompts, String genericPrompts,
                               int trainingLimit, Config harvest, Config sweep, Config evaluate, List<String> protocols, Config report,
                               Config resolved) {

    /** The report block's one setting: prompts per set whose every token is encoded for the top contexts (default 32). */
    public int reportContextPrompts() {
        for (String k : report.root().keySet()) {
            if (!k.equals("context_prompts")) throw new IllegalArgumentException(source + ": unknown key report." + k + " (known: context_prompts)");
        }
        int n = report.hasPath("context_prompts") ? report.getInt("context_prompts") : 32;
        if (n < 1) throw new IllegalArgumentException(source + ": report.context_prompts must be >= 1, got " + n);
        return n;
    }

    static final Set<String> TOP_KEYS = Set.of("model_a", "model_b", "hooks", "training_prompts", "harvest", "sweep", "evaluate", "report");
    static final Set<String> TRAINING_PROMPT_KEYS = Set.of("tool", "generic", "limit");
    private static final ObjectMapper SORTED = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public static ExperimentConfig fromFile(String path) {
        return fromFile(path, ConfigFactory.empty());
    }

    /** The file with {@code overrides} on top (e.g. {@code bin/dfc demo --organism DIR} replacing the models and prompt tables). */
    public static ExperimentConfig fromFile(String path, Config overrides) {
        File f = new File(path);
        if (!f.isFile()) throw new IllegalArgumentException("experiment config not found: " + path);
        try {
            return from(overrides.withFallback(ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false))).resolve(), path);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    static ExperimentConfig from(Config c, String where) {
        for (String k : c.root().keySet()) {
            if (!TOP_KEYS.contains(k)) throw new IllegalArgumentException(where + ": unknown key '" + k + "' (known: " + new TreeSet<>(TOP_KEYS) + ")");
        }
        try {
            List<String> hooks = c.getStringList("hooks");
            if (hooks.isEmpty()) throw new IllegalArgumentException(where + ": hooks must not be empty");
            for (String h : hooks) HookPoint.parse(h);
            Config tp = c.getConfig("training_prompts");
            for (String k : tp.root().keySet()) {
                if (!TRAINING_PROMPT_KEYS.contains(k)) throw new IllegalArgumentException(where + ": unknown key 'training_prompts." + k + "'");
            }
            Config harvest = block(c, "harvest", Set.of("model-a", "model-b", "prompts", "layers", "out"), where);
            for (String k : List.of("config", "master")) {
                if (harvest.hasPath(k)) throw new IllegalArgumentException(where + ": harvest." + k + " has no meaning in an experiment"
                        + (k.equals("master") ? " (use bin/dfc experiment --master)" : " (put the harvest keys in the harvest block)"));
            }
            Config sweep = block(c, "sweep", Set.of(), where);
            Config evaluate = block(c, "evaluate", Set.of("model_a", "model_b", "crosscoders", "protocol"), where);
            List<String> protocols = evaluate.hasPath("protocols") ? evaluate.getStringList("protocols") : List.of("fixed");
            if (protocols.isEmpty() || new TreeSet<>(protocols).size() != protocols.size()) {
                throw new IllegalArgumentException(where + ": evaluate.protocols must list fixed and/or paper, each once");
            }
            ExperimentConfig e = new ExperimentConfig(where, c.getString("model_a"), c.getString("model_b"), List.copyOf(hooks), tp.getString("tool"),
                    tp.getString("generic"), tp.hasPath("limit") ? tp.getInt("limit") : -1, harvest, sweep, evaluate.withoutPath("protocols"),
                    List.copyOf(protocols), c.hasPath("report") ? c.getConfig("report") : ConfigFactory.empty(), c);
            // Every stage's own parser sees its block now, so a bad key is refused before anything runs.
            e.harvestOptions(Path.of("OUT"));
            e.grid(Path.of("OUT"));
            for (String p : protocols) e.evaluateOptions(p, List.of("OUT/sweep/variants"));
            e.reportContextPrompts();
            return e;
        } catch (ConfigException ex) {
            throw new IllegalArgumentException(where + ": " + ex.getMessage());
        }
    }

    /** A stage block, refusing the keys the experiment sets itself. */
    private static Config block(Config c, String name, Set<String> derived, String where) {
        Config b = c.hasPath(name) ? c.getConfig(name) : ConfigFactory.empty();
        for (String k : b.root().keySet()) {
            if (derived.contains(k)) throw new IllegalArgumentException(where + ": " + name + "." + k + " is set by the experiment; remove it");
        }
        return b;
    }

    /** The decoder layers of the hooks ({@code blocks.L.hook_resid_post} → L), for the harvest. */
    public List<Integer> layers() {
        List<Integer> layers = new ArrayList<>();
        for (String h : hooks) {
            int l = HookPoint.parse(h).layer();
            if (!layers.contains(l)) layers.add(l);
        }
        layers.sort(null);
        return layers;
    }

    /** The harvest's options: the harvest block plus the models, the combined training prompts, the layers and OUT/harvest. */
    public HarvestOptions harvestOptions(Path out) {
        Map<String, Object> v = new TreeMap<>(harvest.root().unwrapped());
        List<String> flags = new ArrayList<>();
        for (Map.Entry<String, Object> e : v.entrySet()) {
            if (HarvestOptions.switchFlags().contains(e.getKey())) {
                if (Boolean.TRUE.equals(e.getValue())) flags.add("--" + e.getKey());
            } else {
                flags.add("--" + e.getKey());
                flags.add(e.getValue() instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(e.getValue()));
            }
        }
        flags.addAll(List.of("--model-a", modelA, "--model-b", modelB, "--prompts", Stage.harvestPrompts(out).toString(),
                "--layers", String.join(",", layers().stream().map(String::valueOf).toList()), "--out", Stage.HARVEST.dir(out).toString()));
        for (String k : v.keySet()) {
            if (!HarvestOptions.valuedFlags().contains(k) && !HarvestOptions.switchFlags().contains(k)) {
                throw new IllegalArgumentException(source + ": unknown key harvest." + k);
            }
        }
        return HarvestOptions.from(Args.parse(flags.toArray(new String[0]), HarvestOptions.valuedFlags(), HarvestOptions.switchFlags()));
    }

    /** The sweep grid: the sweep block (or its train { } alone: one crosscoder named "crosscoder"), at the experiment's hooks, on OUT/harvest. */
    public SweepGrid grid(Path out) {
        Config g = sweep;
        if (!g.hasPath("sweep")) g = g.withValue("sweep.name", ConfigValueFactory.fromAnyRef("crosscoder"));
        g = g.withValue("sweep.hooks", ConfigValueFactory.fromIterable(hooks));
        return SweepGrid.fromConfig(g, source + " (sweep)").with(Map.of("store", Stage.HARVEST.dir(out).toString()));
    }

    /** The checkpoint directories the sweep writes, in grid order. */
    public List<Path> variantDirs(Path out) {
        SweepGrid g = grid(out);
        List<Path> dirs = new ArrayList<>();
        for (Variant v : g.variants()) dirs.add(v.dir(Stage.SWEEP.dir(out), g.severalHooks()));
        return dirs;
    }

    /** One protocol's evaluation: the evaluate block plus the models, the crosscoders, and the defaults for hooks and ranking prompts. */
    public EvaluateOptions evaluateOptions(String protocol, List<String> crosscoders) {
        Config e = evaluate.withValue("model_a", ConfigValueFactory.fromAnyRef(modelA))
                .withValue("model_b", ConfigValueFactory.fromAnyRef(modelB))
                .withValue("crosscoders", ConfigValueFactory.fromIterable(crosscoders))
                .withValue("protocol", ConfigValueFactory.fromAnyRef(protocol));
        if (!e.hasPath("hooks")) e = e.withValue("hooks", ConfigValueFactory.fromIterable(hooks));
        if (!e.hasPath("ranking_prompts")) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tool", toolPrompts);
            r.put("generic", genericPrompts);
            if (trainingLimit > 0) r.put("limit", trainingLimit);
            e = e.withValue("ranking_prompts", ConfigValueFactory.fromMap(r));
        }
        return EvaluateOptions.fromString(e.root().render(ConfigRenderOptions.concise()), List.of());
    }

    /** The whole resolved config as JSON (for experiment.json). */
    public JsonNode resolvedJson() {
        return json(resolved.root());
    }

    /** A config value as JSON with object keys sorted: the same settings give the same text, whatever the file's order. */
    static JsonNode json(ConfigValue v) {
        return SORTED.valueToTree(v.unwrapped());
    }

    static String canonical(Object value) {
        try {
            return SORTED.writeValueAsString(SORTED.valueToTree(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
