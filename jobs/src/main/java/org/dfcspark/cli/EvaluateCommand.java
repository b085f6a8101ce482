package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.evaluate.EvaluateJob;
import org.dfcspark.jobs.evaluate.EvaluateOptions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc evaluate}: reconstruction, spillover and steering of crosscoders on Spark (issue 11). */
public final class EvaluateCommand implements Command {
    @Override
    public String summary() {
        return "evaluate crosscoders on Spark: reconstruction, spillover, steering, controls; four scorers; resumable";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc evaluate --config FILE --out DIR [--set key=value]... [--master URL]
                  --config  a HOCON file (README "Evaluate"); keys: %s
                  --set     any key, the value in HOCON (--set limit=4, --set hooks=[blocks.2.hook_resid_post]); repeatable
                  --out     OUT/features, OUT/generations, OUT/conditions, OUT/summary (Parquet, data-schemas/evaluation.md);
                            a rerun with the same config skips the finished work items, another config is refused
                  --master  Spark master (default local[2]; spark-submit sets it)
                """.formatted(String.join(", ", EvaluateOptions.keys()));
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("config", "out", "set", "master");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of();
    }

    @Override
    public int run(Args a) throws Exception {
        EvaluateOptions o;
        try {
            o = EvaluateOptions.fromFile(a.require("config"), a.all("set"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path out = Path.of(a.require("out"));
        if (a.has("master")) System.setProperty("spark.master", a.get("master"));
        EvaluateJob.Outcome r = EvaluateJob.run(SparkSessions.get("dfc evaluate"), o, out, System.err);
        System.out.printf(Locale.ROOT, "evaluated %d work item(s) (%d already done): %d generations -> %s%n", r.itemsRun(), r.itemsSkipped(),
                r.generations(), out);
        return 0;
    }
}
