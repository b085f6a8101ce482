package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.experiment.ExperimentConfig;
import org.dfcspark.jobs.experiment.ExperimentJob;
import org.dfcspark.jobs.experiment.Stage;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc experiment}: harvest → sweep → evaluate → report from one HOCON file, every stage resumable. */
public final class ExperimentCommand implements Command {
    @Override
    public String summary() {
        return "the whole study from one config: harvest -> sweep -> evaluate -> report, each stage skipped when done, resumable";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc experiment --config FILE --out DIR [--until harvest|sweep|evaluate|report] [--dry-run] [--master URL]
                  --config   an experiment file (conf/experiments/demo.conf, organism.conf, paper-qwen2.5-3b.conf): the model pair,
                             hooks, training prompts and one block per stage with that stage's own keys (README "One experiment,
                             one command")
                  --out      the run directory: harvest/ (store), sweep/ (variants + summary), evaluation/PROTOCOL/ (tables),
                             report/report.html, experiment.json (resolved config, per-stage status, fingerprint, wall time)
                  --until    stop after this stage
                  --dry-run  print every stage's plan and estimated cost (FLOPs, bytes, time on this master, GPU-hours); write nothing
                  --master   Spark master (default local[2]; spark-submit sets it)
                A stage is skipped when it completed with the same settings; a changed setting re-runs that stage and the ones
                after it (the previous output is moved to DIR/stale/, never deleted); a killed run continues where it stopped.
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("config", "out", "until", "master");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("dry-run");
    }

    @Override
    public int run(Args a) throws Exception {
        ExperimentConfig cfg;
        Stage until;
        try {
            cfg = ExperimentConfig.fromFile(a.require("config"));
            until = a.has("until") ? Stage.parse(a.get("until")) : Stage.REPORT;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path out = Path.of(a.require("out"));
        if (a.has("master")) System.setProperty("spark.master", a.get("master"));
        ExperimentJob.Outcome o = ExperimentJob.run(cfg, out, until, a.flag("dry-run"), () -> SparkSessions.get("dfc experiment"), System.err);
        if (!a.flag("dry-run")) {
            for (ExperimentJob.StageResult r : o.stages()) System.out.printf("%-9s %s%n", r.stage().id(), r.action());
            System.out.println("run directory: " + o.out() + " (experiment.json)");
        }
        return 0;
    }
}
