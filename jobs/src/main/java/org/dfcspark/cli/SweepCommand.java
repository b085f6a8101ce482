package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.jobs.sweep.SweepJob;

/** {@code bin/dfc sweep}: a grid of crosscoders (variants × hooks) trained on Spark, exactly once, with a summary table. */
public final class SweepCommand implements Command {
    @Override
    public String summary() {
        return "train a grid of crosscoders (the paper's 48, a layer sweep) on Spark: lockstep variants, resumable, summary table";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc sweep --config FILE --store DIR --out DIR [--only NAMES] [--dry-run] [--set key=value]... [--master URL]
                  --config   a sweep file: the base recipe in train { } and the grid in sweep { } (conf/sweeps/paper-48.conf,
                             conf/sweeps/organism-48.conf; the format is in data-schemas/sweep.md)
                  --store    the harvest store every variant trains on (bin/dfc harvest)
                  --out      the sweep's directory: variants/NAME/ (a checkpoint each; variants/NAME/HOOK/ with several hooks),
                             summary.parquet + summary.csv, and _sweep/ (done markers)
                  --only     a comma-separated subset of the variant names
                  --dry-run  print the variants, the work per variant (FLOPs, bytes read), the plan and its estimated time; write nothing
                  --set      a training key for every variant (after the grid's axes), e.g. --set steps=2000, or a sweep setting:
                             sweep.pack=N (variants per task), sweep.lockstep=false, sweep.eval_rows=N (repeatable)
                  --master   Spark master (default local[2]; spark-submit sets it)
                A rerun with the same arguments skips finished variants, resumes unfinished ones from their last checkpoints
                and retries failed ones; a diverged variant is a result (status diverged) and is not retrained.
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("config", "store", "out", "only", "set", "master");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("dry-run");
    }

    @Override
    public int run(Args a) throws Exception {
        SweepGrid grid;
        Set<String> only = new LinkedHashSet<>();
        try {
            grid = SweepGrid.fromFile(a.require("config"));
            Map<String, String> sets = new LinkedHashMap<>();
            for (String s : a.all("set")) {
                Map.Entry<String, String> e = TrainConfig.parseAssignment(s);
                sets.put(e.getKey(), e.getValue());
            }
            if (a.has("store")) sets.put("store", a.get("store"));
            if (!sets.isEmpty()) grid = grid.with(sets);
            if (a.has("only")) for (String n : a.get("only").split(",")) if (!n.isBlank()) only.add(n.trim());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path out = Path.of(a.require("out"));
        if (a.has("master")) System.setProperty("spark.master", a.get("master"));
        SweepJob.Outcome o = SweepJob.run(SparkSessions.get("dfc sweep"), grid, out, only, a.flag("dry-run"), 10, System.err);
        if (o.failed() > 0) {
            System.err.println("error: " + o.failed() + " variant(s) failed (their reasons are in " + o.summary()
                    + "); rerun the same command to retry them from their last checkpoints");
            return 1;
        }
        return 0;
    }
}
