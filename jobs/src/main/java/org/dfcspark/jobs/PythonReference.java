package org.dfcspark.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dfcspark.data.ProjectPaths;

/**
 * Runs a benchmark reference script from {@code tools/reference/} with a given Python and returns the JSON objects
 * it prints, one per line.
 *
 * <p>{@code bin/dfc} tunes glibc's allocator for large tensors (see the launcher). A reference therefore runs in one
 * of two environments: {@link Allocator#OURS}, this JVM's environment with those settings (the same engine
 * conditions on both sides), or {@link Allocator#GLIBC_DEFAULT}, without them, as a plain {@code python script.py}
 * runs (the comparison with the scripts people use today). Benchmarks report the ratio to both.
 */
public final class PythonReference {
    /** The allocator variables {@code bin/dfc} sets: glibc's, and libtorch's huge-page switch. */
    public static final List<String> ALLOCATOR_VARIABLES = List.of("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "THP_MEM_ALLOC_ENABLE");
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Allocator {
        OURS("same allocator settings as dfc"),
        GLIBC_DEFAULT("glibc allocator defaults, as a plain python run");

        public final String description;

        Allocator(String description) {
            this.description = description;
        }
    }

    private PythonReference() {}

    /**
     * The environments to run a reference in: both, or only {@link Allocator#OURS} when this JVM has none of the
     * settings (started without bin/dfc), since the two runs would then be the same.
     */
    public static List<Allocator> allocators() {
        boolean any = ALLOCATOR_VARIABLES.stream().anyMatch(v -> System.getenv(v) != null);
        return any ? List.of(Allocator.values()) : List.of(Allocator.OURS);
    }

    /** {@code tools/reference/NAME}; fails when the checkout has no such script. */
    public static Path script(String name) throws IOException {
        Path file = ProjectPaths.root().resolve("tools/reference").resolve(name);
        if (!Files.isRegularFile(file)) throw new IOException("reference script not found: " + file);
        return file;
    }

    /** This JVM's allocator settings as {@code NAME=value} pairs, or "glibc defaults" when none is set. */
    public static String allocatorSettings() {
        List<String> set = new ArrayList<>();
        for (String v : ALLOCATOR_VARIABLES) if (System.getenv(v) != null) set.add(v + "=" + System.getenv(v));
        return set.isEmpty() ? "glibc defaults" : String.join(" ", set);
    }

    /**
     * Runs {@code python tools/reference/SCRIPT ARGS...}; returns every output line that is a JSON object. Fails with
     * the end of the script's output when it exits non-zero, prints no JSON, or runs past {@code timeoutMinutes}.
     */
    public static List<JsonNode> run(String python, String script, List<String> args, Allocator allocator, long timeoutMinutes)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python, script(script).toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (allocator == Allocator.GLIBC_DEFAULT) {
            Map<String, String> env = pb.environment();
            ALLOCATOR_VARIABLES.forEach(env::remove);
        }
        Process p = pb.start();
        // Read to the end before waiting: a child blocked on a full pipe would never exit.
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean finished = p.waitFor(timeoutMinutes, TimeUnit.MINUTES);
        if (!finished) p.destroyForcibly();
        List<JsonNode> objects = new ArrayList<>();
        for (String line : output.lines().toList()) {
            if (!line.startsWith("{")) continue;
            try {
                objects.add(JSON.readTree(line));
            } catch (JsonProcessingException e) {
                // a log line that happens to start with a brace
            }
        }
        if (!finished || p.exitValue() != 0 || objects.isEmpty()) {
            List<String> lines = output.strip().lines().toList();
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            throw new IOException("the reference " + String.join(" ", cmd) + (finished ? " exited " + p.exitValue() : " timed out")
                    + (objects.isEmpty() ? " without a JSON result" : "") + ":\n" + tail);
        }
        return objects;
    }
}
