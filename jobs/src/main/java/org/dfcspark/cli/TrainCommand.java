package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.jobs.train.TrainJob;

/** {@code bin/dfc train}: data-parallel crosscoder training on Spark from a harvest store (or a safetensors file). */
public final class TrainCommand implements Command {
    /** Flags that set the TrainConfig key of the same name (dashes for underscores). */
    private static final Map<String, String> KEY_FLAGS = Map.of("store", "store", "hook", "hook", "replicas", "replicas", "sync", "sync",
            "steps", "steps", "batch", "batch", "seed", "seed");

    @Override
    public String summary() {
        return "train a crosscoder on Spark: data-parallel replicas, streamed from a harvest store, resumable";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc train --store DIR --hook blocks.L.hook_resid_post --out DIR [--config FILE] [--set key=value]...
                         [--replicas R] [--sync every-step|every:H] [--steps N] [--batch B] [--seed S] [--resume] [--master URL]
                  --store     a harvest store (bin/dfc harvest), or a safetensors file FILE.safetensors#NAME of shape (N, 2, d)
                  --hook      the store layer, by TransformerLens name (blocks.13.hook_resid_post)
                  --out       the checkpoint directory: crosscoder.safetensors, config.json, metrics.jsonl, optimizer.safetensors
                              (Adam moments, dead-latent counters) and state.json (step, data position); never overwritten
                  --config    a HOCON file of training keys (conf/train/paper.conf, conf/train/organism.conf)
                  --set       any training key, e.g. --set dict_size=16384 --set k=90 --set excl_a=0.05 (repeatable); keys:
                              %s
                  --replicas  data-parallel replicas (tasks of one barrier stage; needs that many task slots: local[R] or a cluster)
                  --sync      every-step: gradients summed every step (exact); every:H: parameters averaged every H steps
                  --batch     the global batch, split evenly across replicas
                  --resume    continue the unfinished run in --out from its last checkpoint (it ends where an uninterrupted run would)
                  --master    Spark master (default local[R] with R = replicas; spark-submit sets it)
                Precedence: defaults < --config < --set < the named flags. Defaults are the paper's recipe (TopK k 45, paper loss,
                Adam 1e-4, clipping 1.0, 9000 steps x 1024); the full list with comments: bin/dfc train --print-defaults.
                A failed replica (lost executor, killed task) restarts all replicas from the last checkpoint (up to 3 attempts).
                """.formatted(String.join(", ", TrainConfig.keys()));
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("store", "hook", "out", "config", "set", "replicas", "sync", "steps", "batch", "seed", "master");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("resume", "print-defaults");
    }

    @Override
    public int run(Args a) throws Exception {
        if (a.flag("print-defaults")) {
            System.out.print(TrainConfig.defaults().toJson());
            return 0;
        }
        TrainConfig cfg = config(a);
        Path out = Path.of(a.require("out"));
        String master = a.has("master") ? a.get("master") : System.getProperty("spark.master");
        if (master == null || (!a.has("master") && master.startsWith("local") && isDefaultLocal(master, cfg.replicas()))) {
            master = "local[" + Math.max(2, cfg.replicas()) + "]";
        }
        System.setProperty("spark.master", master);
        TrainJob.Outcome o = TrainJob.run(SparkSessions.get("dfc train"), cfg, out, a.flag("resume"), System.err);
        if (!o.stopped().isEmpty()) {
            System.err.println("error: " + o.stopped());
            return 1;
        }
        if (!o.alreadyDone()) {
            System.out.printf(Locale.ROOT, "trained %d steps%s in %.1f s (%.0f rows/s, all-reduce %.1f ms and %.1f MB per step after %.1f ms waiting for the slowest replica, %d attempt(s)); checkpoint %s%n",
                    o.steps(), o.resumedFrom() > 0 ? " (resumed at " + o.resumedFrom() + ")" : "", o.seconds(), o.rowsPerSecond(),
                    o.allReduceMsPerStep(), o.bytesPerStep() / 1e6, o.waitMsPerStep(), o.attempts(), o.out());
        }
        return 0;
    }

    /** bin/dfc's default local[2] is widened to local[R] when more replicas are asked for. */
    private static boolean isDefaultLocal(String master, int replicas) {
        return master.equals("local[2]") && replicas > 2;
    }

    /** Defaults, then --config, then --set, then the named flags. */
    static TrainConfig config(Args a) {
        try {
            TrainConfig cfg = a.has("config") ? TrainConfig.fromFile(a.get("config")) : TrainConfig.defaults();
            Map<String, String> overrides = new LinkedHashMap<>();
            for (String s : a.all("set")) {
                Map.Entry<String, String> e = TrainConfig.parseAssignment(s);
                overrides.put(e.getKey(), e.getValue());
            }
            for (var e : KEY_FLAGS.entrySet()) if (a.has(e.getKey())) overrides.put(e.getValue(), a.get(e.getKey()));
            return overrides.isEmpty() ? cfg : cfg.with(overrides);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
