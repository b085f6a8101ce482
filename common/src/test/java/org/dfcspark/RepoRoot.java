package org.dfcspark;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root (the directory holding bin/dfc), found by walking up from the working directory. */
public final class RepoRoot {
    private RepoRoot() {}

    public static Path get() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("bin/dfc"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no bin/dfc above " + Path.of("").toAbsolutePath());
        return p;
    }

    public static Path resolve(String relative) {
        return get().resolve(relative);
    }
}
