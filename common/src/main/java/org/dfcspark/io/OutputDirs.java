package org.dfcspark.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The checks every command makes on its output before any work, so that a mistake costs seconds, not a whole run:
 * the place can be written (a probe file is created and removed), and a directory output is new or empty.
 */
public final class OutputDirs {
    private OutputDirs() {}

    /**
     * Refuses, with one line naming {@code flag}, an output whose directory (or, when it does not exist yet, the
     * nearest existing ancestor) cannot be written by this user.
     */
    public static void requireWritable(Path output, String flag) {
        Path p = output.toAbsolutePath().normalize();
        Path probeDir = Files.isDirectory(p) ? p : p.getParent();
        while (probeDir != null && !Files.exists(probeDir)) probeDir = probeDir.getParent();
        if (probeDir == null || !Files.isDirectory(probeDir)) {
            throw new IllegalArgumentException(flag + " " + output + ": " + (probeDir == null ? "no existing parent directory" : probeDir + " is not a directory"));
        }
        Path probe = probeDir.resolve(".dfc-write-probe-" + UUID.randomUUID());
        try {
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(flag + " " + output + " is not writable (" + probeDir + ": "
                    + e.getClass().getSimpleName() + "); choose a directory you can write");
        }
    }

    /** True when {@code dir} does not exist or is an empty directory (hidden temporary leftovers count as empty). */
    public static boolean isAbsentOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) return true;
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.allMatch(f -> f.getFileName().toString().startsWith(".") && f.getFileName().toString().contains(".tmp-"));
        }
    }

    /** Refuses a directory output that already holds something: {@code flag DIR is not empty; ...}. */
    public static void requireAbsentOrEmpty(Path dir, String flag, String hint) throws IOException {
        if (!isAbsentOrEmpty(dir)) {
            throw new IllegalArgumentException(flag + " " + dir + (Files.isDirectory(dir) ? " is not empty" : " exists and is not a directory")
                    + "; " + hint);
        }
    }
}
