package org.dfcspark.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the project checkout (the directory holding {@code bin/dfc}) for shipped data under {@code data/}. */
public final class ProjectPaths {
    private ProjectPaths() {}

    /** {@code $DFC_HOME} when set (bin/dfc sets it), else the nearest ancestor of the working directory with bin/dfc. */
    public static Path root() {
        String home = System.getenv("DFC_HOME");
        if (home != null && !home.isBlank()) return Path.of(home).toAbsolutePath();
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isRegularFile(q.resolve("bin").resolve("dfc"))) return q;
        }
        throw new IllegalStateException("cannot find the dfc-spark checkout (no bin/dfc above " + p + "); set DFC_HOME");
    }

    /** A path under the shipped {@code data/} directory. */
    public static Path data(String relative) {
        return root().resolve("data").resolve(relative);
    }
}
