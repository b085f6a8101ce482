package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dfcspark.data.ProjectPaths;

/**
 * The cluster the tests run on: a {@link LocalCluster} (master + N one-core, 1 GB workers on 127.0.0.1) whose Spark
 * "installation" holds what a Spark distribution holds, Spark and its dependencies, and none of this project's classes
 * or its own dependencies (DJL, Jinjava, Typesafe config): executors get those only if the driver ships them,
 * as on a real cluster.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final List<String> OURS = List.of("/ai/djl/", "/com/hubspot/", "/com/typesafe/config/");

    public final String masterUrl;
    private final LocalCluster cluster;

    private StandaloneCluster(LocalCluster cluster) {
        this.cluster = cluster;
        this.masterUrl = cluster.masterUrl;
    }

    /** Starts a master and {@code workers} workers under {@code dir} (logs: master.log, workerN.log). */
    public static StandaloneCluster start(Path dir, int workers) throws IOException, InterruptedException {
        List<String> distro = new ArrayList<>();
        Path root = ProjectPaths.root().toAbsolutePath();
        for (String e : Files.readString(root.resolve("jobs/target/classpath.txt")).trim().split(File.pathSeparator)) {
            String unix = e.replace(File.separatorChar, '/');
            // Not our dependencies, and not our own modules (after `mvn package` the class path names dfc-common's jar:
            // on the workers' system class path it would load our classes where the shipped dependencies are invisible).
            if (OURS.stream().noneMatch(unix::contains) && !Path.of(e).toAbsolutePath().startsWith(root)) distro.add(e);
        }
        Files.createDirectories(dir);
        return new StandaloneCluster(LocalCluster.start(dir, String.join(File.pathSeparator, distro), workers, 1, "1g"));
    }

    /** SIGKILLs worker {@code i} (its executors exit when they lose it). */
    public void killWorker(int i) throws InterruptedException {
        cluster.killWorker(i);
    }

    public Path workDir(int i) {
        return cluster.workDir(i);
    }

    static String javaBin() {
        return LocalCluster.javaBin();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        cluster.close();
    }
}
