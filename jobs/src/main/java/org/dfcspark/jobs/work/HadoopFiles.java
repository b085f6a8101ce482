package org.dfcspark.jobs.work;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The few file operations the work items' outputs and markers need, on any Hadoop file system (local, NFS, HDFS,
 * S3). Everything visible is published by renaming a hidden temporary file in the same directory, so a reader (or a
 * restarted job) never sees a half-written file.
 */
public final class HadoopFiles {
    private HadoopFiles() {}

    public static FileSystem fs(Path p, Configuration conf) throws IOException {
        return p.getFileSystem(conf);
    }

    /**
     * The configuration the store is written and read with: {@code conf} with the raw local file system for
     * {@code file:} paths, so no {@code .crc} side files are made (Hadoop's checksummed local FS would refuse to
     * read a manifest that a user or a script rewrote, because its stale .crc no longer matches).
     */
    public static Configuration storeConf(Configuration conf) {
        Configuration c = new Configuration(conf);
        c.setClass("fs.file.impl", RawLocalFileSystem.class, FileSystem.class);
        c.setBoolean("fs.file.impl.disable.cache", true);
        c.set("fs.permissions.umask-mode", "022"); // files 0644, directories 0755: readable on a shared file system
        return c;
    }

    /** A hidden sibling of {@code target} unique to this writer: {@code .NAME.TAG.tmp}. */
    public static Path tempFor(Path target, String tag) {
        return new Path(target.getParent(), "." + target.getName() + "." + tag + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
    }

    /**
     * Renames {@code tmp} to {@code target}. On file systems whose rename replaces (local, POSIX) that is all. Where
     * rename refuses an existing target (HDFS): with {@code replace} the target is deleted and the rename retried;
     * without, the existing target is kept and {@code tmp} dropped: it was published by another attempt of the same
     * deterministic work (a retried or speculative task), so keeping it leaves no moment without the file.
     */
    public static void publish(Path tmp, Path target, boolean replace, Configuration conf) throws IOException {
        FileSystem fs = fs(target, conf);
        fs.mkdirs(target.getParent());
        if (fs.rename(tmp, target)) return;
        if (fs.exists(target)) {
            if (!replace) {
                fs.delete(tmp, false);
                return;
            }
            fs.delete(target, false);
            if (fs.rename(tmp, target)) return;
        }
        throw new IOException("could not rename " + tmp + " to " + target);
    }

    /** Writes {@code text} to a hidden temporary file and publishes it as {@code target}. */
    public static void writeAtomically(Path target, String text, boolean replace, Configuration conf) throws IOException {
        writeAtomically(target, replace, conf, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** What writes a file's content to its stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Lets {@code content} write a hidden temporary file and publishes it as {@code target} ({@link #publish}); when
     * writing fails the temporary file is deleted.
     */
    public static void writeAtomically(Path target, boolean replace, Configuration conf, Content content) throws IOException {
        FileSystem fs = fs(target, conf);
        fs.mkdirs(target.getParent());
        Path tmp = tempFor(target, "w");
        try (OutputStream out = fs.create(tmp, true)) {
            content.writeTo(out);
        } catch (IOException | RuntimeException e) {
            fs.delete(tmp, false);
            throw e;
        }
        publish(tmp, target, replace, conf);
    }

    public static String read(Path p, Configuration conf) throws IOException {
        try (InputStream in = fs(p, conf).open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static boolean exists(Path p, Configuration conf) throws IOException {
        return fs(p, conf).exists(p);
    }

    /** Visible (not hidden) files directly under {@code dir}; empty when it does not exist. */
    public static List<Path> list(Path dir, Configuration conf) throws IOException {
        FileSystem fs = fs(dir, conf);
        List<Path> out = new ArrayList<>();
        if (!fs.exists(dir)) return out;
        for (FileStatus s : fs.listStatus(dir)) {
            String n = s.getPath().getName();
            if (s.isFile() && !n.startsWith(".") && !n.startsWith("_")) out.add(s.getPath());
        }
        out.sort(null);
        return out;
    }

    /**
     * Whether a file name is one of the hidden temporaries above ({@code .NAME.TAG.tmp}) or one that evaluate wrote
     * before it used this class ({@code .NAME.tmp-ATTEMPT}).
     */
    public static boolean isTemporary(String name) {
        return name.startsWith(".") && (name.endsWith(".tmp") || name.contains(".tmp-"));
    }

    /** Deletes the hidden temporary files a killed attempt left under {@code dir} (recursively). */
    public static int deleteTemporaries(Path dir, Configuration conf) throws IOException {
        FileSystem fs = fs(dir, conf);
        if (!fs.exists(dir)) return 0;
        int n = 0;
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (s.isDirectory()) n += deleteTemporaries(s.getPath(), conf);
            else if (isTemporary(name)) {
                fs.delete(s.getPath(), false);
                n++;
            }
        }
        return n;
    }
}
