package org.dfcspark.cli;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dfcspark.data.ProjectPaths;

/**
 * {@code bin/dfc COMMAND ...} as a child JVM (the build's classpath and this JVM's flags: module opens, offline), so a
 * test can kill it with SIGKILL as an OOM killer or a lost node would.
 */
public final class CliProcess {
    private CliProcess() {}

    public static Process start(List<String> commandAndFlags, Path log) throws IOException {
        Path root = ProjectPaths.root();
        String cp = String.join(File.pathSeparator, root.resolve("jobs/target/classes").toString(),
                root.resolve("common/target/classes").toString(), Files.readString(root.resolve("jobs/target/classpath.txt")).trim());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-D") || a.startsWith("-X")) cmd.add(a);
        }
        cmd.addAll(List.of("-Dspark.master=local[2]", "-Dspark.driver.host=127.0.0.1", "-Dspark.driver.bindAddress=127.0.0.1",
                "-cp", cp, "org.dfcspark.cli.Main"));
        cmd.addAll(commandAndFlags);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
