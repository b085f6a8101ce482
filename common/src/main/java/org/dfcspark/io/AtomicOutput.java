package org.dfcspark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes an output file or directory beside its target and swaps it in with one atomic rename, so a reader sees the
 * old output, no output, or the complete new one. The temporary sibling is named {@code .NAME.tmp-UUID}: it is removed
 * when writing fails, and {@link #cleanStale} removes the ones a killed run left (every writer calls it first).
 * What is published is readable by everyone (files 0644, directories 0755), like any file a user writes.
 *
 * <pre>{@code
 * AtomicOutput.writeFile(out, tmp -> Files.writeString(tmp, text));      // a file
 * AtomicOutput.writeString(out, text);                                     // the same, for text (UTF-8)
 * AtomicOutput.writeDirectory(dir, tmp -> { ... write files into tmp ... }); // a directory, replacing an old one
 * }</pre>
 */
public final class AtomicOutput {
    private AtomicOutput() {}

    /** Writes into the given temporary path. */
    @FunctionalInterface
    public interface Writer {
        void write(Path tmp) throws IOException;
    }

    /** Writes the file {@code target} through {@code writer} and renames it into place (replacing an old file). */
    public static void writeFile(Path target, Writer writer) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Files.createDirectories(t.getParent());
        cleanStale(t);
        Path tmp = tempFor(t);
        try {
            writer.write(tmp);
            makeReadable(tmp);
            Files.move(tmp, t, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code text} (UTF-8) as the file {@code target}, atomically (see {@link #writeFile}). */
    public static void writeString(Path target, String text) throws IOException {
        writeFile(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /**
     * Writes the directory {@code target} through {@code writer} (which fills the empty temporary directory) and
     * renames it into place. An existing target is first renamed aside and deleted after the swap.
     */
    public static void writeDirectory(Path target, Writer writer) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Files.createDirectories(t.getParent());
        cleanStale(t);
        Path tmp = tempFor(t);
        Files.createDirectory(tmp);
        try {
            writer.write(tmp);
            makeReadable(tmp);
            if (Files.exists(t)) {
                Path old = t.resolveSibling("." + t.getFileName() + ".tmp-old-" + UUID.randomUUID());
                Files.move(t, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            deleteTree(tmp);
        }
    }

    /** A fresh temporary sibling name for {@code target} (not created). */
    public static Path tempFor(Path target) {
        Path t = target.toAbsolutePath().normalize();
        return t.resolveSibling("." + t.getFileName() + ".tmp-" + UUID.randomUUID());
    }

    /** True for the temporary siblings this class makes for {@code target}. */
    public static boolean isTempOf(Path candidate, Path target) {
        return candidate.getFileName().toString().startsWith("." + target.getFileName() + ".tmp-");
    }

    /** Removes the temporary siblings of {@code target} that an earlier, killed or failed run left; returns how many. */
    public static int cleanStale(Path target) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        if (parent == null || !Files.isDirectory(parent)) return 0;
        int n = 0;
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (isTempOf(p, t)) {
                    deleteTree(p);
                    n++;
                }
            }
        }
        return n;
    }

    /** Files 0644 and directories 0755 (recursively) where the file system has POSIX permissions. */
    public static void makeReadable(Path p) throws IOException {
        if (!Files.getFileStore(p).supportsFileAttributeView("posix")) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                try {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
                } catch (FileSystemException e) {
                    // not ours to change (another user's file); leave it
                }
            }
        }
    }

    /** Deletes a file or a directory tree; nothing when absent. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (NoSuchFileException ignored) {
                    // already gone
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
