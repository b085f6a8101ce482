package org.dfcspark.jobs.experiment;

import java.nio.file.Path;
import java.util.Locale;

/** The stages of an experiment, in the order they run, and where each writes inside the run directory. */
public enum Stage {
    HARVEST("harvest"), SWEEP("sweep"), EVALUATE("evaluation"), REPORT("report");

    private final String dirName;

    Stage(String dirName) {
        this.dirName = dirName;
    }

    /** {@code harvest}, {@code sweep}, {@code evaluate}, {@code report}: the names of {@code --until} and experiment.json. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code OUT/harvest/}, {@code OUT/sweep/}, {@code OUT/evaluation/}, {@code OUT/report/}. */
    public Path dir(Path out) {
        return out.resolve(dirName);
    }

    /** The tool + generic training prompts combined into one table for the harvest (part of the harvest stage's output). */
    public static Path harvestPrompts(Path out) {
        return out.resolve("harvest-prompts");
    }

    /** The report file. */
    public static Path reportFile(Path out) {
        return REPORT.dir(out).resolve("report.html");
    }

    public static Stage parse(String id) {
        for (Stage s : values()) if (s.id().equals(id)) return s;
        throw new IllegalArgumentException("unknown stage '" + id + "' (expected harvest, sweep, evaluate or report)");
    }
}
