package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.testing.InjectedFaults;

/** {@code bin/dfc ARGS} as a child JVM: the build's class path and this JVM's flags (module opens, DJL offline). */
public final class DfcProcess {
    private DfcProcess() {}

    /** Starts the CLI in {@code cwd} with extra {@code -D} properties; output to {@code log}. */
    public static Process start(Path cwd, Map<String, String> props, List<String> args, Path log) throws IOException {
        Path root = ProjectPaths.root();
        String cp = String.join(File.pathSeparator, root.resolve("jobs/target/classes").toString(),
                root.resolve("common/target/classes").toString(), Files.readString(root.resolve("jobs/target/classpath.txt")).trim());
        List<String> cmd = new ArrayList<>(List.of(StandaloneCluster.javaBin()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dai.djl") || a.startsWith("-Djdk.") || a.startsWith("-Dio.netty")) cmd.add(a);
        }
        cmd.add("-Xmx1g");
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", cp, "org.dfcspark.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Runs the CLI (local[2]) with every training step slowed by {@code stepDelayMs} (an injected fault) and kills it
     * with SIGKILL (no shutdown hook, no clean-up) once the checkpoint at {@code probe} has reached {@code step};
     * fails when the run ends first or does not get there within 3 minutes.
     */
    public static void killOnceTrainedTo(Path cwd, List<String> args, int stepDelayMs, Path probe, long step, Path log) throws Exception {
        Process p = start(cwd, Map.of("spark.master", "local[2]", InjectedFaults.PROPERTY, "train.step-delay-ms=" + stepDelayMs), args, log);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while ((!TrainState.exists(probe) || TrainState.read(probe).step() < step) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        if (!p.isAlive()) throw new AssertionError("the first run ended before it could be killed:\n" + Files.readString(log));
        p.destroyForcibly().waitFor();
        if (TrainState.read(probe).step() < step) throw new AssertionError("the run did not reach step " + step + " in 3 minutes:\n" + Files.readString(log));
    }

    /** Runs the CLI (local[2]) to its end (at most 3 minutes) and returns its output; fails unless it exits 0. */
    public static String runToSuccess(Path cwd, List<String> args, Path log) throws Exception {
        Process p = start(cwd, Map.of("spark.master", "local[2]"), args, log);
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("bin/dfc " + String.join(" ", args) + " did not finish in 3 minutes:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        if (p.exitValue() != 0) throw new AssertionError("bin/dfc exited " + p.exitValue() + ":\n" + out);
        return out;
    }
}
