package org.dfcspark.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dfcspark.data.ProjectPaths;
import org.junit.jupiter.api.Assumptions;

/** Runs the five notebooks headless on a run directory (notebooks/setup-venv.sh, then run_notebooks.py); fails on any error. */
public final class Notebooks {
    static final List<String> ALL = List.of("01-activation-store", "02-sweep", "03-reconstruction-spillover", "04-steering", "05-features");

    private Notebooks() {}

    /** @return what the runner printed (every notebook ran: checked) */
    public static String runAll(Path run, Path executed) throws Exception {
        Path notebooks = ProjectPaths.root().resolve("notebooks");
        Process setup = new ProcessBuilder("bash", notebooks.resolve("setup-venv.sh").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String python = new String(setup.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(setup.waitFor(15, TimeUnit.MINUTES) && setup.exitValue() == 0, "notebooks/setup-venv.sh failed");
        Process p = new ProcessBuilder(python, notebooks.resolve("run_notebooks.py").toString(), run.toString(), executed.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "notebooks took over 10 minutes");
        assertEquals(0, p.exitValue(), out);
        for (String nb : ALL) {
            assertTrue(out.contains("ok " + nb + ".ipynb"), nb + " did not run:\n" + out);
            assertTrue(Files.exists(executed.resolve(nb + ".ipynb")));
        }
        return out;
    }

    /** A CI install that is missing: the test is skipped here, but fails where DFC_CI is set (.ci/run). */
    public static void requireOrSkip(boolean present, String what) {
        if (present) return;
        assertNotNull(System.getenv("DFC_CI") == null ? "" : null, what + " (DFC_CI is set: CI must have it)");
        Assumptions.abort(what);
    }

    public static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) return true;
        }
        return false;
    }
}
