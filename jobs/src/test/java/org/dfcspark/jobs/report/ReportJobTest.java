package org.dfcspark.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/dfc report} on a small organism run ({@link OrganismRun}), checked in a real headless Chromium and by
 * executing the notebooks on the same run. The browser and the notebooks' Python are CI installs (.ci/run); on a
 * machine without them those two tests are skipped, unless {@code DFC_CI} is set (CI), where they fail.
 * {@code -Ddfc.report.run=DIR} keeps the run in DIR and reuses it on the next run (for working on the report).
 */
class ReportJobTest {
    static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path run, html;
    static ReportJob.Outcome outcome;

    @BeforeAll
    static void buildRunAndReport() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("ReportJobTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        long t0 = System.nanoTime();
        String keep = System.getProperty("dfc.report.run");
        run = keep != null ? Path.of(keep).toAbsolutePath() : dir.resolve("run");
        if (!Files.exists(run.resolve("evaluation-paper/summary/_SUCCESS"))) OrganismRun.build(spark, run, QUIET);
        long t1 = System.nanoTime();
        html = run.resolve("report/report.html");
        outcome = ReportJob.run(spark, run, html, 8, System.err);
        System.err.printf("ReportJobTest: organism run %.1f s, report %.1f s%n", (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    @Test
    void thePaperTableHasThePapersNumbersAndOurs() throws IOException {
        String page = Files.readString(html);
        String table = page.substring(page.indexOf("<table class=\"paper-table\">"), page.indexOf("</table>", page.indexOf("<table class=\"paper-table\">")));
        for (String stated : List.of("+31.1 ± 9.7", "+6.8 ± 5.0", "+65.0 [+47.9, +82.1]", "dfc-D8k-excl10-k45 #136")) {
            assertTrue(table.contains(stated), "stated: " + stated);
        }
        for (String recomputed : List.of("+31.17 ± 9.75 (n=47)", "+6.66 ± 4.93 (n=47)", "ToolRL-Qwen2.5-3B")) {
            assertTrue(table.contains(recomputed), "recomputed from data/paper-results: " + recomputed);
        }
        assertTrue(table.contains("ours (evaluation)") && table.contains("ours (evaluation-paper)"), "one row per protocol this run evaluated");
        assertEquals(2, outcome.evaluations());
        assertEquals(4, outcome.targets(), "2 crosscoders x 2 evaluations");
    }

    @Test
    void theReportTablesHoldWhatItDraws() {
        List<Row> decoder = read("decoder");
        assertEquals(2 * 128, decoder.size(), "every latent of both crosscoders once");
        for (Row r : decoder) {
            if (r.getAs("partition").equals("a_exclusive")) assertEquals(1.0, r.<Double>getAs("rel_norm_a"), 0.0, "an A-exclusive latent has no B decoder");
        }
        Map<String, Double> shares = new HashMap<>();
        for (Row r : read("decomposition")) shares.merge(r.getAs("evaluation") + "/" + r.getAs("crosscoder"), r.<Double>getAs("share"), Double::sum);
        assertEquals(4, shares.size());
        shares.forEach((k, v) -> assertEquals(1.0, v, 1e-6, k + ": the parts add up to the mean difference"));
        Map<String, Integer> perFeature = new HashMap<>();
        for (Row r : read("feature_activations")) perFeature.merge(r.getAs("evaluation") + "/" + r.getAs("crosscoder") + "/" + r.getAs("feature"), 1, Integer::sum);
        assertEquals(outcome.featurePages(), perFeature.size(), "one set of activations per feature page");
        perFeature.forEach((k, n) -> assertEquals(k.startsWith("evaluation/") ? 48 + 48 : 16 + 16, n, k + ": every ranking prompt once"));
        List<Row> contexts = read("feature_contexts");
        assertFalse(contexts.isEmpty());
        for (Row c : contexts) {
            int center = c.getAs("center");
            assertEquals(c.<Double>getAs("activation"), (Double) c.getList(c.fieldIndex("token_activations")).get(center), 1e-6);
            assertTrue(c.<Double>getAs("activation") > 0);
        }
    }

    @Test
    void aRunIsFoundFromItsEvaluationDirectoryAndAnEmptyDirectoryIsRefused() throws IOException {
        RunLayout fromEvaluation = RunLayout.of(run.resolve("evaluation"));
        assertEquals(List.of(run.resolve("evaluation")), fromEvaluation.evaluations());
        assertEquals(run.resolve("sweep/summary.parquet"), fromEvaluation.sweepSummary());
        assertEquals(run.resolve("harvest"), fromEvaluation.store());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunLayout.of(empty));
        assertTrue(e.getMessage().contains("holds no evaluation"), e.getMessage());
    }

    @Test
    void anEvaluationWithoutSweepOrStoreStillMakesAReport() throws IOException {
        Path alone = dir.resolve("alone/evaluation");
        try (var files = Files.walk(run.resolve("evaluation"))) {
            for (Path p : files.toList()) {
                Path to = alone.resolve(run.resolve("evaluation").relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        ReportJob.Outcome o = ReportJob.run(spark, alone, dir.resolve("alone/report.html"), 2, QUIET);
        assertEquals(1, o.evaluations());
        String page = Files.readString(o.html());
        assertTrue(page.contains("none found (sweep/summary.parquet)") && page.contains("none found (harvest/)"), "says what is missing");
        assertFalse(page.contains("<h3>Sweep summary</h3>"));
        assertTrue(page.contains("+31.1 ± 9.7") && page.contains("ours (evaluation)"));
    }

    @Test
    void inHeadlessChromiumEveryChartDrawsAndAFeaturePageOpensFromAChart() throws Exception {
        Path chromium = CdpBrowser.executable();
        Notebooks.requireOrSkip(chromium != null, "no chromium (apt-get install chromium; .ci/run installs it)");
        Path target = ProjectPaths.root().resolve("jobs/target");
        try (CdpBrowser b = new CdpBrowser(chromium, dir.resolve("chromium-profile"))) {
            b.call("Runtime.enable", Map.of());
            b.call("Log.enable", Map.of());
            b.call("Page.enable", Map.of());
            b.call("Emulation.setDeviceMetricsOverride", Map.of("width", 1366, "height", 900, "deviceScaleFactor", 1, "mobile", false));
            b.call("Page.navigate", Map.of("url", html.toUri().toString()));
            b.awaitEvent("Page.loadEventFired");
            JsonNode page = b.eval("""
                    (() => {
                      const visible = [...document.querySelectorAll('svg.chart')].filter(s => s.getBoundingClientRect().width > 0);
                      const drawn = s => [...s.querySelectorAll('.mark')].some(m => { const r = m.getBBox(); return r.width > 0 && r.height > 0; });
                      return { charts: visible.length, blank: visible.filter(s => !drawn(s)).length,
                               paper: document.querySelector('#paper table').innerText,
                               featureLinks: document.querySelectorAll('svg.chart a[href^="#feature-"]').length,
                               hiddenPages: [...document.querySelectorAll('.feature-page')].filter(p => getComputedStyle(p).display === 'none').length };
                    })()""");
            assertTrue(page.path("charts").asInt() >= 8, "charts drawn: " + page);
            assertEquals(0, page.path("blank").asInt(), "every chart has drawn content: " + page);
            assertTrue(page.path("paper").asText().contains("+31.1 ± 9.7") && page.path("paper").asText().contains("+65.0 [+47.9, +82.1]"));
            assertTrue(page.path("featureLinks").asInt() > 0, "charts link to feature pages");
            assertEquals(outcome.featurePages(), page.path("hiddenPages").asInt(), "feature pages stay closed until opened");
            screenshot(b, target.resolve("report-screenshot.png"));

            // click (a real mouse event) the first chart mark that links to a feature
            JsonNode box = b.eval("""
                    (() => { for (const m of document.querySelectorAll('svg.chart a[href^="#feature-"] .mark')) {
                               m.scrollIntoView({block: 'center'});
                               const r = m.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
                               const hit = document.elementFromPoint(x, y);
                               if (hit && hit.closest('a') === m.closest('a')) return { x: x, y: y, href: m.closest('a').getAttribute('href') };
                             }
                             return null; })()""");
            assertFalse(box.isNull(), "a feature link in a chart that a click reaches");
            for (String type : List.of("mouseMoved", "mousePressed", "mouseReleased")) {
                b.call("Input.dispatchMouseEvent", Map.of("type", type, "x", box.path("x").asDouble(), "y", box.path("y").asDouble(), "button", "left",
                        "clickCount", 1));
            }
            JsonNode opened = b.eval("""
                    (() => { const p = document.querySelector(location.hash);
                             const drawn = [...p.querySelectorAll('svg.chart .mark')].some(m => m.getBBox().width > 0 && m.getBBox().height > 0);
                             return { hash: location.hash, display: getComputedStyle(p).display, drawn: drawn, contexts: p.querySelectorAll('.ctx').length,
                                      title: p.querySelector('h2').innerText }; })()""");
            assertEquals(box.path("href").asText(), opened.path("hash").asText(), "the click opened the feature's page");
            assertEquals("block", opened.path("display").asText());
            assertTrue(opened.path("drawn").asBoolean(), "the page's activation histogram is drawn: " + opened);
            assertTrue(opened.path("title").asText().startsWith("Feature #"), opened.toString());
            screenshot(b, target.resolve("report-feature-screenshot.png"));

            List<String> errors = new ArrayList<>();
            for (JsonNode e : b.events()) {
                String m = e.path("method").asText();
                if (m.equals("Runtime.exceptionThrown") || (m.equals("Runtime.consoleAPICalled") && e.path("params").path("type").asText().equals("error"))
                        || (m.equals("Log.entryAdded") && e.path("params").path("entry").path("level").asText().equals("error"))) errors.add(e.toString());
            }
            assertEquals(List.of(), errors, "no console errors");
        }
    }

    @Test
    void theNotebooksRunTopToBottomOnTheRun() throws Exception {
        Notebooks.requireOrSkip(Notebooks.onPath("python3"), "no python3");
        String out = Notebooks.runAll(run, ProjectPaths.root().resolve("jobs/target/notebooks"));
        assertTrue(out.contains("+31.17 ± 9.75"), "03 recomputes the paper's headline:\n" + out);
    }

    private static List<Row> read(String table) {
        return spark.read().parquet(outcome.tables().resolve(table).toString()).collectAsList();
    }

    private static void screenshot(CdpBrowser b, Path file) throws Exception {
        JsonNode shot = b.call("Page.captureScreenshot", Map.of("format", "png"));
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
        assertTrue(Files.size(file) > 10_000, "a screenshot with content: " + file);
    }

    /** A CI install missing: skip here, fail in CI. */
}
