package org.dfcspark.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dfcspark.data.ProjectPaths;

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
}
