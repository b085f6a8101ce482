package org.dfcspark.jobs.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a run's parts are. {@code DIR} is either an experiment's run directory ({@code DIR/harvest/} the activation
 * store, {@code DIR/sweep/summary.parquet}, one or more evaluation directories such as {@code DIR/evaluation/} and
 * {@code DIR/evaluation-paper/}, or {@code DIR/evaluation/fixed/} and {@code DIR/evaluation/paper/} as {@code bin/dfc
 * experiment} writes them) or one evaluation directory (then the sweep and store are looked for beside it).
 * Only the evaluations are required; a run without a sweep or store gets a report without those parts.
 *
 * @param sweepSummary {@code summary.parquet} of the sweep, or null
 * @param store        the harvest store (a directory with {@code manifest.json}), or null
 */
public record RunLayout(Path root, List<Path> evaluations, Path sweepSummary, Path store) {
    /** The file that marks an evaluation directory ({@code bin/dfc evaluate} writes it first). */
    static final String EVALUATION_MARK = "evaluate.conf";

    public static RunLayout of(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("run directory not found: " + dir);
        Path root = dir.toAbsolutePath().normalize();
        if (isEvaluation(root)) {
            // an experiment's OUT/evaluation/PROTOCOL/: the run is two levels up
            Path parent = root.getParent();
            Path run = parent.getFileName().toString().equals("evaluation") && !isEvaluation(parent) ? parent.getParent() : parent;
            return new RunLayout(run, List.of(root), sweep(run.resolve("sweep")), store(run.resolve("harvest")));
        }
        List<Path> evaluations = new java.util.ArrayList<>(evaluationsIn(root));
        if (!evaluations.contains(root.resolve("evaluation"))) evaluations.addAll(evaluationsIn(root.resolve("evaluation"))); // bin/dfc experiment's layout
        if (evaluations.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no evaluation (no " + EVALUATION_MARK + " in it or in a directory inside it); run bin/dfc evaluate first");
        }
        return new RunLayout(root, evaluations, sweep(root.resolve("sweep")), store(root.resolve("harvest")));
    }

    private static List<Path> evaluationsIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(RunLayout::isEvaluation).sorted().toList();
        }
    }

    private static boolean isEvaluation(Path p) {
        return Files.isRegularFile(p.resolve(EVALUATION_MARK)) && Files.isDirectory(p.resolve("summary"));
    }

    private static Path sweep(Path dir) {
        Path s = dir.resolve("summary.parquet");
        return Files.exists(s) ? s : null;
    }

    private static Path store(Path dir) {
        return Files.isRegularFile(dir.resolve("manifest.json")) ? dir : null;
    }
}
