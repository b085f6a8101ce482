package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dfcspark.data.ProjectPaths;

/**
 * A Spark standalone cluster on 127.0.0.1 from the build's Maven jars: a master and N workers (one core, 1 GB
 * each) as child JVMs, with a Spark "installation" ({@code SPARK_HOME/jars}) that holds what a Spark distribution
 * holds, Spark and its dependencies, and none of this project's classes or its own dependencies (DJL, Jinjava,
 * Typesafe config): the executors get those only if the driver ships them, as on a real cluster.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final List<String> OURS = List.of("/ai/djl/", "/com/hubspot/", "/com/typesafe/config/");

    public final String masterUrl;
    private final Path dir;
    private final Path sparkHome;
    private final String sparkClassPath;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private StandaloneCluster(Path dir, int workerCount) throws IOException, InterruptedException {
        this.dir = dir;
        Path root = ProjectPaths.root();
        List<String> distro = new ArrayList<>();
        for (String e : Files.readString(root.resolve("jobs/target/classpath.txt")).trim().split(File.pathSeparator)) {
            String unix = e.replace(File.separatorChar, '/');
            // Not ours: our dependencies, nor this build's modules (a reactor build lists common's jar or classes here).
            if (OURS.stream().noneMatch(unix::contains) && !Path.of(e).toAbsolutePath().startsWith(root)) distro.add(e);
        }
        sparkHome = dir.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));
        for (String jar : distro) {
            Path link = sparkHome.resolve("jars").resolve(Path.of(jar).getFileName());
            if (!Files.exists(link)) Files.createSymbolicLink(link, Path.of(jar));
        }
        sparkClassPath = String.join(File.pathSeparator, distro);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", Integer.toString(freePort()));
        waitForLog(dir.resolve("master.log"), "I have been elected leader", 60);
        for (int i = 0; i < workerCount; i++) startWorker(i);
        for (int i = 0; i < workerCount; i++) waitForLog(dir.resolve("worker" + i + ".log"), "Successfully registered with master", 60);
    }

    /** Starts a master and {@code workers} workers under {@code dir} (logs: master.log, workerN.log). */
    public static StandaloneCluster start(Path dir, int workers) throws IOException, InterruptedException {
        return new StandaloneCluster(dir, workers);
    }

    private void startWorker(int i) throws IOException {
        workers.add(start("worker" + i, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                "--work-dir", dir.resolve("work" + i).toString(), "--webui-port", Integer.toString(freePort()), masterUrl));
    }

    /** SIGKILLs worker {@code i} (its executors exit when they lose it). */
    public void killWorker(int i) throws InterruptedException {
        workers.get(i).destroyForcibly().waitFor();
    }

    public Path workDir(int i) {
        return dir.resolve("work" + i);
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx512m", "-cp", sparkClassPath));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (a.startsWith("--add-")) cmd.add(a);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().remove("DJL_CACHE_DIR"); // as on a real worker: the executors get theirs from the application
        return pb.start();
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void waitForLog(Path log, String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException("no '" + text + "' in " + log + " after " + seconds + " s:\n" + (Files.exists(log) ? Files.readString(log) : ""));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        for (Process w : workers) w.destroyForcibly().waitFor();
        master.destroyForcibly().waitFor();
        try (var links = Files.list(sparkHome.resolve("jars"))) {
            for (Path l : links.toList()) Files.delete(l); // the links, not the Maven jars
        }
    }
}
