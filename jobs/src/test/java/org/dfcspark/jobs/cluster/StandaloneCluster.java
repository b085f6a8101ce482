package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.launcher.SparkLauncher;
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

    /**
     * spark-submit of this project against this cluster, as the README's recipe runs it: {@link SparkLauncher} (Spark's
     * API for spark-submit) with the application jar, {@code org.dfcspark.cli.Main}, and {@code --jars} = the jars of
     * {@code jobs/target/classpath.txt} except Spark, Scala and Hadoop ({@link ShippedJars}, the README's DEPS). The
     * application jar is {@code jobs/target/classes} packed into {@code jarsDir} (the entries {@code mvn package} puts in
     * dfc-jobs-*.jar, which does not exist yet when {@code mvn verify} runs the tests); likewise dfc-common when the
     * class path names its classes rather than its jar. The caller adds the properties file, confs and arguments and
     * calls {@link SparkLauncher#launch()}.
     *
     * <p>spark-submit runs as a child process in a {@code SPARK_HOME} laid out as a distribution's: {@code jars/}
     * (Spark and its dependencies, none of ours) and {@code bin/spark-submit}, which does what the distribution's
     * bin/spark-submit and bin/spark-class do: Spark's launcher library ({@code org.apache.spark.launcher.Main}) builds the
     * driver's command (class path {@code SPARK_HOME/jars/*}, Java module options, the properties file's driver memory and
     * options), which is then executed. The in-process {@code InProcessLauncher} is not used: it runs spark-submit in
     * the test JVM, whose class path already holds our classes (the driver would not need the submitted jars), it
     * sets the application's conf as JVM-wide system properties (spark.master for every later test in the JVM), and our
     * Main ends with System.exit.
     */
    public SparkLauncher sparkSubmit(Path jarsDir, Map<String, String> env) throws IOException {
        Path home = cluster.sparkHome();
        Path script = home.resolve("bin/spark-submit");
        if (!Files.exists(script)) {
            Files.createDirectories(script.getParent());
            Files.writeString(script, """
                    #!/usr/bin/env bash
                    # A Spark distribution's bin/spark-submit, through its bin/spark-class: the launcher library prints the
                    # driver's command (a NUL line, then NUL-separated arguments), which is executed.
                    set -euo pipefail
                    CMD=()
                    {
                      IFS= read -r -d '' _ && IFS= read -r -n 1 _
                      while IFS= read -r -d '' a; do CMD+=("$a"); done
                    } < <("${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main \\
                           org.apache.spark.deploy.SparkSubmit "$@")
                    [ ${#CMD[@]} -gt 0 ] || { echo "spark-submit: the launcher printed no command" >&2; exit 1; }
                    exec "${CMD[@]}"
                    """);
            Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path root = ProjectPaths.root().toAbsolutePath();
        Path app = ShippedJars.pack(root.resolve("jobs/target/classes"), jarsDir);
        String deps = ShippedJars.forClassPath(Files.readString(root.resolve("jobs/target/classpath.txt")).trim(), jarsDir);
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SPARK_SCALA_VERSION", "2.13");
        all.put("SPARK_LOCAL_IP", "127.0.0.1");
        all.put("JAVA_HOME", System.getProperty("java.home"));
        SparkLauncher l = new SparkLauncher(all).setSparkHome(home.toString())
                .setMaster(masterUrl).setDeployMode("client").setAppResource(app.toString()).setMainClass("org.dfcspark.cli.Main");
        for (String jar : deps.split(",")) l.addJar(jar);
        return l;
    }

    static String javaBin() {
        return LocalCluster.javaBin();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        cluster.close();
    }
}
