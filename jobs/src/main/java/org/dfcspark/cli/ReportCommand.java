package org.dfcspark.cli;

import java.nio.file.Path;
import java.util.Set;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.jobs.report.ReportJob;

/** {@code bin/dfc report}: one self-contained HTML report over a run's tables (issue 12). */
public final class ReportCommand implements Command {
    @Override
    public String summary() {
        return "one self-contained HTML report over a run: paper vs ours, Δ charts, steering curves, diffing views, feature dashboards";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc report --run DIR --out FILE.html [--context-prompts N] [--master URL]
                  --run              an experiment's run directory (harvest/, sweep/, evaluation*/) or one evaluation directory
                  --out              the HTML file; its tables (feature activations, contexts, decoder, decomposition) go to tables/
                                     beside it (Parquet, data-schemas/report.md)
                  --context-prompts  tool and generic ranking prompts scanned token by token for top contexts (default 32 each)
                  --master           Spark master (default local[2])
                """;
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("run", "out", "context-prompts", "master");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of();
    }

    @Override
    public int run(Args a) throws Exception {
        Path run = Path.of(a.require("run")), out = Path.of(a.require("out"));
        if (!out.getFileName().toString().endsWith(".html")) throw new UsageException("--out must name an .html file, got " + out);
        int contexts;
        try {
            contexts = Integer.parseInt(a.get("context-prompts") == null ? "32" : a.get("context-prompts"));
        } catch (NumberFormatException e) {
            throw new UsageException("--context-prompts expects a number, got " + a.get("context-prompts"));
        }
        if (contexts < 1) throw new UsageException("--context-prompts must be >= 1");
        if (a.has("master")) System.setProperty("spark.master", a.get("master"));
        ReportJob.Outcome r = ReportJob.run(SparkSessions.get("dfc report"), run, out, contexts, System.err);
        System.out.printf("report -> %s (%d evaluation(s), %d crosscoder x hook, %d feature pages)%n", r.html(), r.evaluations(), r.targets(), r.featurePages());
        return 0;
    }
}
