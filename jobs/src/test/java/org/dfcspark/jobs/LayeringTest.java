package org.dfcspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dfcspark.data.ProjectPaths;
import org.junit.jupiter.api.Test;

/**
 * The layering rule {@code cli -> jobs -> common}, never back, checked on the main sources' code (comments are
 * ignored, so documentation may name the other layers): nothing in {@code org.dfcspark.jobs} uses
 * {@code org.dfcspark.cli}; nothing in common uses Spark, {@code org.dfcspark.jobs} or {@code org.dfcspark.cli}.
 */
class LayeringTest {
    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void jobsDoesNotUseTheCommandLineLayer() throws IOException {
        Path jobs = ProjectPaths.root().resolve("jobs/src/main/java/org/dfcspark/jobs");
        assertEquals(List.of(), violations(jobs, List.of("org.dfcspark.cli")));
    }

    @Test
    void commonKnowsNothingOfSparkOrTheJobs() throws IOException {
        Path common = ProjectPaths.root().resolve("common/src/main/java/org/dfcspark");
        assertEquals(List.of(), violations(common, List.of("org.apache.spark", "org.dfcspark.jobs", "org.dfcspark.cli")));
    }

    @Test
    void theScanSeesCodeButNotComments() {
        assertEquals(List.of("org.dfcspark.cli"), uses("import org.dfcspark.cli.Args;\n", List.of("org.dfcspark.cli")));
        assertEquals(List.of("org.dfcspark.cli"), uses("var a = org.dfcspark.cli.Args.parse(x);", List.of("org.dfcspark.cli")));
        assertEquals(List.of(), uses("/** not {@code org.dfcspark.cli} */ // nor org.dfcspark.cli.Args\nclass A {}", List.of("org.dfcspark.cli")));
        assertEquals(List.of(), uses("import org.dfcspark.client.X;", List.of("org.dfcspark.cli")));
    }

    /** "file: package" for every source file under {@code dir} whose code names one of {@code forbidden}. */
    private static List<String> violations(Path dir, List<String> forbidden) throws IOException {
        assertTrue(Files.isDirectory(dir), dir + " not found");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                for (String p : uses(Files.readString(f), forbidden)) found.add(dir.relativize(f) + ": " + p);
            }
        }
        return found;
    }

    private static List<String> uses(String source, List<String> packages) {
        String code = COMMENTS.matcher(source).replaceAll(" ");
        List<String> used = new ArrayList<>();
        for (String p : packages) {
            if (Pattern.compile("\\b" + Pattern.quote(p) + "\\s*[.;]").matcher(code).find()) used.add(p);
        }
        return used;
    }
}
