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

/**
 * A Spark standalone cluster on 127.0.0.1 started from the build's Maven jars: a master and N workers as child JVMs,
 * each worker with the given cores and memory. Its "Spark installation" ({@code SPARK_HOME/jars}) links the jars of
 * {@code classPath}; tests that must prove jar shipping pass a class path without the project's own jars. Used by
 * {@code bin/dfc bench train} (scaling on 1 vs 2 workers) and by the cluster tests.
 */
public final class LocalCluster implements AutoCloseable {
    public final String masterUrl;
    private final Path dir;
    private final Path sparkHome;
    private final String classPath;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private LocalCluster(Path dir, String classPath, int workerCount, int cores, String memory) throws IOException, InterruptedException {
        this.dir = dir;
        this.classPath = classPath;
        sparkHome = dir.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));
        for (String jar : classPath.split(File.pathSeparator)) {
            if (jar.isBlank() || !jar.endsWith(".jar")) continue;
            Path link = sparkHome.resolve("jars").resolve(Path.of(jar).getFileName());
            if (!Files.exists(link)) Files.createSymbolicLink(link, Path.of(jar));
        }
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", Integer.toString(freePort()));
        waitForLog(dir.resolve("master.log"), "I have been elected leader", 60);
        for (int i = 0; i < workerCount; i++) {
            workers.add(start("worker" + i, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", Integer.toString(cores),
                    "--memory", memory, "--work-dir", dir.resolve("work" + i).toString(), "--webui-port", Integer.toString(freePort()), masterUrl));
        }
        for (int i = 0; i < workerCount; i++) waitForLog(dir.resolve("worker" + i + ".log"), "Successfully registered with master", 60);
    }

    /** Starts a master and {@code workers} workers of {@code cores} cores and {@code memory} (e.g. "4g") under {@code dir}. */
    public static LocalCluster start(Path dir, String classPath, int workers, int cores, String memory) throws IOException, InterruptedException {
        return new LocalCluster(dir, classPath, workers, cores, memory);
    }

    /** SIGKILLs worker {@code i} (its executors exit when they lose it). */
    public void killWorker(int i) throws InterruptedException {
        workers.get(i).destroyForcibly().waitFor();
    }

    public Path workDir(int i) {
        return dir.resolve("work" + i);
    }

    /** The cluster's Spark "installation" ({@code jars/} links the class path's jars), as the workers' SPARK_HOME. */
    public Path sparkHome() {
        return sparkHome;
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx512m", "-cp", classPath));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (a.startsWith("--add-")) cmd.add(a);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().remove("DJL_CACHE_DIR"); // as on a real worker: executors get theirs from the application
        return pb.start();
    }

    /** This JVM's java executable (the cluster's JVMs are the same Java). */
    public static String javaBin() {
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
