package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.dfcspark.io.AtomicOutput;

/**
 * The jars a cluster's executors need to run this project's tasks: every entry of the driver's class path except what
 * a Spark installation provides itself (Spark, Scala, Hadoop). A class directory ({@code target/classes}, as
 * {@code bin/dfc} runs) cannot be shipped, so it is packed into a jar first (a few MB, seconds). The result is what
 * {@code spark.jars} gets; executors fetch the jars from the driver when they start.
 */
public final class ShippedJars {
    private static final List<String> PROVIDED = List.of("/org/apache/spark/", "/org/scala-lang/", "/org/apache/hadoop/");

    private ShippedJars() {}

    /** Comma-separated {@code spark.jars} for {@code classPath} (File.pathSeparator-separated); jars of directories go to {@code workDir}. */
    public static String forClassPath(String classPath, Path workDir) throws IOException {
        java.util.Set<String> jars = new java.util.LinkedHashSet<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isBlank()) continue;
            Path p = Path.of(entry).toAbsolutePath();
            String unix = p.toString().replace(File.separatorChar, '/');
            if (PROVIDED.stream().anyMatch(unix::contains)) continue;
            if (Files.isDirectory(p)) {
                if (p.getFileName().toString().equals("test-classes")) continue; // a test JVM's own tests
                jars.add(pack(p, workDir).toString());
            } else if (Files.isRegularFile(p) && unix.endsWith(".jar")) {
                jars.add(p.toString());
            }
        }
        return String.join(",", jars);
    }

    /** A jar of the class directory {@code dir}, named after the module it belongs to. */
    static Path pack(Path dir, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path module = dir.getParent() != null && dir.getParent().getParent() != null ? dir.getParent().getParent().getFileName() : dir.getFileName();
        Path jar = workDir.resolve("dfc-" + module + "-classes.jar");
        AtomicOutput.writeFile(jar, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os);
                 Stream<Path> files = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    if (f.equals(dir)) continue;
                    String name = dir.relativize(f).toString().replace(File.separatorChar, '/') + (Files.isDirectory(f) ? "/" : "");
                    out.putNextEntry(new JarEntry(name));
                    if (Files.isRegularFile(f)) Files.copy(f, out);
                    out.closeEntry();
                }
            }
        });
        return jar;
    }
}
