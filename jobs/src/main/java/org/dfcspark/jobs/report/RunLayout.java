package org.dfcspark.jobs.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a run's parts are. {@code DIR} is either an experiment's run directory ({@code DIR/harvest/} the activation
 * store, {@code DIR/sweep/summary.parquet}, one or more evaluation directories such as {@code DIR/evaluation/} and
 * {@code DIR/evaluation-paper/}) or one evaluation directory (then the sweep and store are looked for beside it).
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
            Path parent = root.getParent();
            return new RunLayout(parent, List.of(root), sweep(parent.resolve("sweep")), store(parent.resolve("harvest")));
        }
        List<Path> evaluations;
        try (Stream<Path> s = Files.list(root)) {
            evaluations = s.filter(RunLayout::isEvaluation).sorted().toList();
        }
        if (evaluations.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no evaluation (no " + EVALUATION_MARK + " in it or in a directory inside it); run bin/dfc evaluate first");
        }
        return new RunLayout(root, evaluations, sweep(root.resolve("sweep")), store(root.resolve("harvest")));
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
