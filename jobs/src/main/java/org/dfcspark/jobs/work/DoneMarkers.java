package org.dfcspark.jobs.work;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The done markers of a job's work items, on any Hadoop file system: item {@code id}'s marker is
 * {@code ROOT/<id><suffix>} (e.g. harvest's {@code _harvest/done/shard-00003.json}, evaluate's
 * {@code items/<crosscoder>/<hook>/shard-00003.done.json}). A marker is written after the item's output was
 * published, so its presence means the item is complete; it holds what the item counted, as JSON. Serialisable:
 * the tasks write the markers.
 */
public final class DoneMarkers implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String root;
    private final String suffix;
    private final SerializableConfiguration conf;

    /** @param suffix ends every marker's file name and no other file's under {@code root} */
    public DoneMarkers(Path root, String suffix, Configuration conf) {
        this.root = root.toString();
        this.suffix = suffix;
        this.conf = new SerializableConfiguration(conf);
    }

    public Path root() {
        return new Path(root);
    }

    public Path marker(String id) {
        return new Path(root(), id + suffix);
    }

    public boolean isDone(String id) throws IOException {
        return HadoopFiles.exists(marker(id), conf.value());
    }

    /**
     * Publishes item {@code id}'s marker atomically (a hidden temporary name unique to this writer, then a rename).
     * When another attempt of the same item already wrote one, either marker may remain (a local rename replaces,
     * HDFS keeps the first): both record the same finished work.
     */
    public void markDone(String id, String json) throws IOException {
        HadoopFiles.writeAtomically(marker(id), json, false, conf.value());
    }

    /** The marker's JSON, or null when the item is not done. */
    public String read(String id) throws IOException {
        Path m = marker(id);
        return HadoopFiles.exists(m, conf.value()) ? HadoopFiles.read(m, conf.value()) : null;
    }

    /**
     * The ids of every item done, from one recursive listing (no marker is read). A listing that meets a file renamed
     * away under it (a temporary marker being published) is taken again.
     */
    public Set<String> doneIds() throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return listDoneIds();
            } catch (FileNotFoundException vanished) {
                if (attempt == 5) throw vanished;
            }
        }
    }

    private Set<String> listDoneIds() throws IOException {
        Set<String> ids = new TreeSet<>();
        FileSystem fs = HadoopFiles.fs(root(), conf.value());
        if (!fs.exists(root())) return ids;
        String prefix = fs.makeQualified(root()).toUri().getPath() + "/";
        collect(fs, root(), prefix, ids);
        return ids;
    }

    /**
     * A walk with {@code listStatus} that reads names only. Not {@code listFiles}: its {@code LocatedFileStatus} copies
     * each file's permissions, which the local file system reads by running {@code ls} per file, so every progress
     * poll started one process per file and failed whenever a temporary file was renamed away meanwhile.
     */
    private void collect(FileSystem fs, Path dir, String prefix, Set<String> ids) throws IOException {
        for (FileStatus st : fs.listStatus(dir)) {
            Path p = st.getPath();
            String name = p.getName();
            if (st.isDirectory()) {
                collect(fs, p, prefix, ids);
                continue;
            }
            String path = p.toUri().getPath();
            if (name.startsWith(".") || !name.endsWith(suffix) || !path.startsWith(prefix)) continue;
            ids.add(path.substring(prefix.length(), path.length() - suffix.length()));
        }
    }

    /** Deletes the temporary files that killed attempts left under the root (markers', and outputs' kept there). */
    public int deleteTemporaries() throws IOException {
        return HadoopFiles.deleteTemporaries(root(), conf.value());
    }
}
