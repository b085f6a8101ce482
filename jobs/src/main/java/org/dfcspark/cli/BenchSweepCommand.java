package org.dfcspark.cli;

import java.nio.file.Files;
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
import org.dfcspark.jobs.sweep.SweepBench;

/** {@code bin/dfc bench sweep}: a grid end to end, lockstep vs one variant per read. */
public final class BenchSweepCommand implements Command {
    @Override
    public String summary() {
        return "benchmark a sweep end to end: variants/hour in lockstep vs one variant per read";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc bench sweep --store DIR [--config conf/sweeps/organism-48.conf] [--only NAMES] [--set key=value]...
                         [--work DIR] [--rounds 1] [--master URL]
                Trains the grid twice on this master, into WORK/lockstep and WORK/separate (WORK: new or empty; a new
                temporary directory by default): with the variants of a task sharing one read of the store, then with every
                variant its own task reading the store itself, after an untimed warm-up of both modes (the first 8 variants,
                40 steps each, WORK/warmup-*). Prints the wall time and variants/hour of each and their ratio. With
                --rounds N, both modes run N times (WORK/lockstep-R, WORK/separate-R), the order alternating from round to
                round (lockstep first, then separate first, ...), and the ratio is of the mean times: for a machine whose
                speed drifts. Run it alone.""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("store", "config", "only", "set", "work", "rounds", "master");
    }

    @Override
    public int run(Args a) throws Exception {
        SweepGrid grid;
        Set<String> only = new LinkedHashSet<>();
        try {
            grid = SweepGrid.fromFile(a.get("config", "conf/sweeps/organism-48.conf"));
            Map<String, String> sets = new LinkedHashMap<>();
            for (String s : a.all("set")) {
                Map.Entry<String, String> e = TrainConfig.parseAssignment(s);
                sets.put(e.getKey(), e.getValue());
            }
            sets.put("store", a.require("store"));
            grid = grid.with(sets);
            if (a.has("only")) for (String n : a.get("only").split(",")) if (!n.isBlank()) only.add(n.trim());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path work = a.has("work") ? Path.of(a.get("work")) : Files.createTempDirectory("dfc-bench-sweep");
        if (Files.isDirectory(work)) {
            try (var entries = Files.list(work)) {
                // a previous run's finished variants would be skipped, and their time not measured
                if (entries.findAny().isPresent()) throw new UsageException("--work " + work + " is not empty: give a new or empty directory");
            }
        }
        int rounds = a.getInt("rounds", 1);
        if (rounds < 1) throw new UsageException("--rounds must be at least 1, got " + rounds);
        if (a.has("master")) System.setProperty("spark.master", a.get("master"));
        SweepBench.run(SparkSessions.get("dfc bench sweep"), grid, only, work.toAbsolutePath(), rounds, System.out);
        return 0;
    }
}
