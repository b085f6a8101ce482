package org.dfcspark.jobs.cluster;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Paths as executors must see them. A job resolves every path it is given on the driver, before any work: a local
 * path becomes absolute and canonical (symbolic links and {@code ..} resolved, so the same place always gives the
 * same string, and settings fingerprints compare places, not spellings); a URI of another file system
 * ({@code hdfs://…}, {@code s3a://…}) is kept. On a cluster (any master but {@code local…}) a local path is refused
 * unless the cluster declares a shared file system ({@value #SHARED_FS}{@code =true}): each executor would otherwise
 * read, or write, its own machine's copy of it.
 *
 * <pre>{@code
 * String out = ClusterPaths.forExecutors(o.out(), "--out", spark.sparkContext().getConf());
 * }</pre>
 */
public final class ClusterPaths {
    /** Spark property a cluster sets when every node mounts the same file system at the same place. */
    public static final String SHARED_FS = "spark.dfc.sharedFileSystem";
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]+:.*");

    private ClusterPaths() {}

    /** True for a local-mode master ({@code local}, {@code local[N]}, …): driver and executors share one machine. */
    public static boolean isLocal(String master) {
        return master == null || master.startsWith("local");
    }

    /** True when {@code path} names a local file ({@code /x}, {@code x}, {@code file:/x}). */
    public static boolean isLocalPath(String path) {
        return !SCHEME.matcher(path).matches() || path.startsWith("file:");
    }

    /** A local path made absolute and canonical (as far as it exists); another file system's URI unchanged. */
    public static String canonical(String path) {
        if (!isLocalPath(path)) return path;
        Path p = path.startsWith("file:") ? Path.of(URI.create(path)) : Path.of(path);
        p = p.toAbsolutePath().normalize();
        // Canonicalise the longest existing prefix (the output may not exist yet).
        Path existing = p;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return p.toString();
        try {
            return existing.toRealPath().resolve(existing.relativize(p)).normalize().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    /**
     * {@link #canonical} of {@code path}, refused with one line (naming {@code flag}) when executors of {@code master}
     * would not see it: a local path on a cluster without {@value #SHARED_FS}.
     */
    public static String forExecutors(String path, String flag, String master, boolean sharedFileSystem) {
        String c = canonical(path);
        if (!isLocal(master) && isLocalPath(path) && !sharedFileSystem) {
            throw new IllegalArgumentException(flag + " " + path + " is a path on this machine" + (Path.of(path).isAbsolute() ? "" : " (relative)")
                    + ", but the executors of " + master + " run on other machines and would each use their own: put it on a file "
                    + "system every node mounts at the same place and set " + SHARED_FS + "=true (conf/spark-*-cluster.conf), "
                    + "or give an hdfs:// (or other shared) URI");
        }
        return c;
    }

    /** {@link #forExecutors} with the master and the shared-file-system declaration from {@code conf}. */
    public static String forExecutors(String path, String flag, org.apache.spark.SparkConf conf) {
        return forExecutors(path, flag, conf.get("spark.master", "local"), conf.getBoolean(SHARED_FS, false));
    }
}
