package org.dfcspark.io;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A cheap check that a local path is Parquet before a Spark job reads it: a file, or every data file of a directory
 * (names not starting with '.' or '_'), must begin and end with Parquet's magic bytes {@code PAR1}. Refused with one
 * line naming the file, instead of a page of Spark schema-inference errors.
 */
public final class ParquetFiles {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private ParquetFiles() {}

    /** Refuses {@code path} (named as {@code what}) unless it is a Parquet file or a directory of Parquet files. */
    public static void requireParquet(Path path, String what) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException(what + " not found: " + path);
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.walk(path)) {
                files = s.filter(Files::isRegularFile).filter(f -> {
                    for (Path part : path.relativize(f)) {
                        String n = part.toString();
                        if (n.startsWith(".") || n.startsWith("_")) return false;
                    }
                    return true;
                }).sorted().toList();
            }
            if (files.isEmpty()) throw new IllegalArgumentException(what + " " + path + " is a directory with no data files (not a Parquet table)");
        } else {
            files = List.of(path);
        }
        for (Path f : files) {
            if (!isParquet(f)) {
                throw new IllegalArgumentException(what + " " + f + " is not a Parquet file (no PAR1 magic bytes"
                        + (Files.size(f) < 12 ? ", " + Files.size(f) + " bytes" : "") + ")");
            }
        }
    }

    static boolean isParquet(Path f) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            long n = r.length();
            if (n < 12) return false;
            byte[] head = new byte[4], tail = new byte[4];
            r.readFully(head);
            r.seek(n - 4);
            r.readFully(tail);
            return java.util.Arrays.equals(head, MAGIC) && java.util.Arrays.equals(tail, MAGIC);
        }
    }
}
