package org.dfcspark.jobs.work;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.jobs.cluster.TaskFailure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * The exactly-once machinery on a real local Spark session. {@code local[2,2]} gives every task two attempts, so a
 * task that fails once is retried, as on a cluster.
 */
class WorkQueueTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    static SparkSession spark;
    static Configuration conf;

    @BeforeAll
    static void setUp() {
        spark = SparkSession.builder().master("local[2,2]").appName("WorkQueueTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        assertEquals("local[2,2]", spark.sparkContext().master(), "another test left its session running");
        conf = HadoopFiles.storeConf(spark.sparkContext().hadoopConfiguration());
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    record Item(String id) implements WorkItem {
        @Override
        public String describe() {
            return "item " + id + " (the test's)";
        }
    }

    /**
     * Publishes {@code OUT/<id>.txt} holding the id, and records every attempt that ran as a file {@code RUNS/<id>.<n>}.
     * With {@code failFirst}, the first attempt of that item leaves a half-written temporary file and fails.
     */
    record WriteId(String out, String runs, String failFirst, boolean failAlways) implements ItemTask<Item> {
        @Override
        public String run(Item item, TaskProgress progress) throws IOException {
            int attempt = TaskContext.get().attemptNumber();
            Files.writeString(Files.createDirectories(Path.of(runs)).resolve(item.id() + "." + UUID.randomUUID()), "" + attempt);
            org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(Path.of(out).resolve(item.id() + ".txt").toUri());
            if (failAlways || (item.id().equals(failFirst) && attempt == 0)) {
                org.apache.hadoop.fs.Path tmp = HadoopFiles.tempFor(target, "attempt" + attempt);
                try (var s = HadoopFiles.fs(tmp, conf()).create(tmp)) {
                    s.write("half".getBytes(StandardCharsets.UTF_8));
                }
                throw new IllegalStateException("injected failure");
            }
            HadoopFiles.writeAtomically(target, item.id(), true, conf());
            progress.add("items", 1);
            return JSON.createObjectNode().put("id", item.id()).put("attempt", attempt).toString();
        }

        private static Configuration conf() {
            return HadoopFiles.storeConf(new Configuration());
        }
    }

    private DoneMarkers markers() {
        return new DoneMarkers(new org.apache.hadoop.fs.Path(dir.resolve("done").toString()), ".json", conf);
    }

    private WriteId task(String failFirst) {
        return new WriteId(dir.resolve("out").toString(), dir.resolve("runs").toString(), failFirst, false);
    }

    private static List<Item> items(String... ids) {
        return Stream.of(ids).map(Item::new).toList();
    }

    private List<String> runsOf(String id) throws IOException {
        if (!Files.isDirectory(dir.resolve("runs"))) return List.of();
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(id + ".")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    private List<String> run(List<Item> pending, DoneMarkers markers, WriteId task) throws IOException {
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "test", List.of("items"))) {
            return WorkQueue.run(spark, "test", pending, markers, task, inFlight.taskProgress());
        }
    }

    @Test
    void everyItemRunsOnceAndGetsItsMarker() throws Exception {
        DoneMarkers markers = markers();
        List<Item> items = items("a", "b", "c", "d", "e");
        List<String> results = run(WorkQueue.pending(items, markers), markers, task(null));
        assertEquals(5, results.size());
        for (int i = 0; i < items.size(); i++) {
            String id = items.get(i).id();
            assertEquals(id, JSON.readTree(results.get(i)).get("id").asText(), "results come in the order of the items");
            assertEquals(List.of("0"), runsOf(id), id + " ran once");
            assertEquals(id, Files.readString(dir.resolve("out").resolve(id + ".txt")));
            assertEquals(results.get(i), markers.read(id));
            assertTrue(markers.isDone(id));
        }
        assertEquals(Set.of("a", "b", "c", "d", "e"), markers.doneIds());
    }

    @Test
    void aRerunDoesNothingAndADoneItemIsNotRedone() throws Exception {
        DoneMarkers markers = markers();
        List<Item> items = items("a", "b", "c");
        List<String> first = run(WorkQueue.pending(items, markers), markers, task(null));
        assertEquals(List.of(), WorkQueue.pending(items, markers), "nothing left to do");
        assertEquals(List.of(), run(WorkQueue.pending(items, markers), markers, task(null)));
        // An attempt that starts after another attempt finished the item (a speculative copy) returns its marker.
        assertEquals(first, run(items, markers, task(null)));
        for (Item i : items) assertEquals(List.of("0"), runsOf(i.id()), i.id() + " ran once");
    }

    @Test
    void aFailedAttemptIsRetriedAndTheItemPublishedOnce() throws Exception {
        DoneMarkers markers = markers();
        List<String> results = run(items("a", "b", "c"), markers, task("b"));
        assertEquals(3, results.size());
        assertEquals(List.of("0", "1"), runsOf("b").stream().sorted().toList(), "b failed once and was retried");
        assertEquals(1, JSON.readTree(markers.read("b")).get("attempt").asInt(), "the retry wrote the marker");
        try (Stream<Path> out = Files.list(dir.resolve("out"))) {
            List<String> names = out.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("a.txt", "b.txt", "c.txt"), names.stream().filter(n -> !n.startsWith(".")).toList());
            assertEquals(1, names.stream().filter(HadoopFiles::isTemporary).count(), "the failed attempt's temporary is left");
        }
        assertEquals("b", Files.readString(dir.resolve("out/b.txt")));

        assertEquals(1, HadoopFiles.deleteTemporaries(new org.apache.hadoop.fs.Path(dir.resolve("out").toUri()), conf));
        try (Stream<Path> out = Files.list(dir.resolve("out"))) {
            assertEquals(3, out.count(), "only the published files remain");
        }
    }

    @Test
    void itemsBuiltFromKeyedRowsRunOneTaskEach() throws Exception {
        DoneMarkers markers = markers();
        List<String> pending = List.of("b", "c"); // "a" is done already: its rows are not read
        JavaRDD<Item> items = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(List.of("b:1", "c:1", "b:2", "c:2", "b:3"), 2)
                .mapToPair(row -> new Tuple2<>(row.substring(0, 1), row))
                .partitionBy(new ItemPartitioner(pending))
                .mapPartitions(rows -> {
                    List<String> mine = new ArrayList<>();
                    rows.forEachRemaining(t -> mine.add(t._2()));
                    if (mine.isEmpty()) return List.<Item>of().iterator();
                    return List.of(new Item(mine.get(0).substring(0, 1) + mine.size())).iterator();
                });
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "test", List.of("items"))) {
            WorkQueue.run(items, "test", markers, task(null), inFlight.taskProgress());
        }
        assertEquals(Set.of("b3", "c2"), markers.doneIds(), "each item got all its rows and nothing else");
        assertEquals(List.of("0"), runsOf("b3"));
        assertEquals(List.of("0"), runsOf("c2"));
    }

    @Test
    void anItemThatKeepsFailingIsNamedInTheOneLineError() throws Exception {
        DoneMarkers markers = markers();
        WriteId failing = new WriteId(dir.resolve("out").toString(), dir.resolve("runs").toString(), null, true);
        SparkException e = assertThrows(SparkException.class, () -> run(items("x"), markers, failing));
        RuntimeException line = TaskFailure.report("test", e, dir.resolve("logs"), "finished items are kept");
        assertTrue(line.getMessage().contains("item x (the test's): IllegalStateException: injected failure"), line.getMessage());
        assertEquals(2, runsOf("x").size(), "both attempts ran");
        assertFalse(markers.isDone("x"));
    }

    @Test
    void temporariesOfKilledAttemptsAreDeletedAndMarkersKept() throws Exception {
        DoneMarkers markers = new DoneMarkers(new org.apache.hadoop.fs.Path(dir.resolve("items").toUri()), ".done.json", conf);
        markers.markDone("cc/hook/shard-00000", "{\"n\":1}");
        Path hookDir = dir.resolve("items/cc/hook");
        Path killedMarker = Files.writeString(hookDir.resolve(".shard-00001.done.json.w.1a2b3c4d.tmp"), "{\"n");
        Path killedOutput = Files.writeString(hookDir.resolve(".shard-00001.jsonl.w.5e6f7a8b.tmp"), "half");
        Path olderVersion = Files.writeString(hookDir.resolve(".shard-00001.jsonl.tmp-999"), "half"); // evaluate's earlier name
        Path output = Files.writeString(hookDir.resolve("shard-00000.jsonl"), "rows");
        assertEquals(3, markers.deleteTemporaries());
        for (Path p : List.of(killedMarker, killedOutput, olderVersion)) assertFalse(Files.exists(p), p + " deleted");
        assertTrue(Files.exists(output));
        assertEquals("{\"n\":1}", markers.read("cc/hook/shard-00000"));
    }

    @Test
    void markersWorkOnAFileUriAndInSubdirectories() throws Exception {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("file://" + dir.resolve("m").toAbsolutePath());
        DoneMarkers markers = new DoneMarkers(root, ".done.json", conf);
        assertEquals(Set.of(), markers.doneIds(), "no directory yet: nothing done");
        assertNull(markers.read("a/h/shard-00000"));
        markers.markDone("a/h/shard-00000", "{\"x\":0}");
        markers.markDone("a/h/shard-00001", "{\"x\":1}");
        markers.markDone("b/h/shard-00000", "{\"x\":2}");
        Files.writeString(dir.resolve("m/a/h/shard-00000.jsonl"), "rows are not markers");
        assertEquals(Set.of("a/h/shard-00000", "a/h/shard-00001", "b/h/shard-00000"), markers.doneIds());
        assertTrue(markers.isDone("a/h/shard-00001"));
        assertFalse(markers.isDone("a/h/shard-00002"));
        assertEquals("{\"x\":2}", markers.read("b/h/shard-00000"));
        assertEquals(dir.resolve("m/a/h/shard-00000.done.json").toAbsolutePath().toString(), markers.marker("a/h/shard-00000").toUri().getPath());
        assertTrue(Files.exists(dir.resolve("m/a/h/shard-00000.done.json")));
        try (Stream<Path> files = Files.walk(dir.resolve("m"))) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".crc")).toList(), "no checksum side files");
        }
    }

    @Test
    void theProgressLineCountsMarkersAndFormatsRateAndEta() throws Exception {
        DoneMarkers markers = markers();
        markers.markDone("a", "{\"rows\":30}");
        List<String> lines = new ArrayList<>();
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "test", List.of("rows"));
             ProgressReporter reporter = new ProgressReporter(markers, (id, json) -> new long[] {JSON.readTree(json).get("rows").asLong()},
                     inFlight, 4, new long[] {120}, 3600, p -> p.itemsDone() + "/" + p.itemsTotal() + " items, " + p.done()[0] + "/"
                     + p.total()[0] + " rows (" + p.percent(0) + "%), " + (p.rate(0) > 0 ? "moving" : "not moving"), lines::add)) {
            assertEquals("1/4 items, 30/120 rows (25.0%), not moving", reporter.line(), "done before this run is not this run's rate");
            markers.markDone("b", "{\"rows\":30}");
            assertEquals("2/4 items, 60/120 rows (50.0%), moving", reporter.line());
        }
        assertEquals(List.of(), lines, "nothing printed before the first period");
        ProgressReporter.Progress p = new ProgressReporter.Progress(2, 4, new long[] {60}, new long[] {120}, new long[] {0}, 30);
        assertEquals(2.0, p.rate(0), 1e-9);
        assertEquals("30s", p.eta(0));
        assertEquals("1h02m", ProgressReporter.duration(3720));
        assertEquals("3m05s", ProgressReporter.duration(185));
    }

    /** Items of a pack are done together in one task; one left pending (null) gets no marker; done ones are skipped. */
    @Test
    void packedItemsRunTogetherAndOnlyFinishedOnesAreMarked() throws Exception {
        DoneMarkers markers = new DoneMarkers(new org.apache.hadoop.fs.Path(dir.resolve("done").toUri()), ".json", conf);
        markers.markDone("a", "{\"id\":\"a\",\"earlier\":true}");
        String runs = dir.resolve("runs").toString();
        PackTask<Item> task = (items, progress) -> {
            String together = String.join("+", items.stream().map(Item::id).toList());
            Files.writeString(Files.createDirectories(Path.of(runs)).resolve(together), "");
            return items.stream().map(it -> it.id().equals("c") ? null : JSON.createObjectNode().put("id", it.id()).put("with", together).toString()).toList();
        };
        List<String> out = WorkQueue.runPacked(spark, "packed", List.of(List.of(new Item("a"), new Item("b"), new Item("c")), List.of(new Item("d"))),
                markers, task, new TaskProgress(java.util.Map.of()));
        assertEquals(3, out.size());
        assertEquals(Set.of("a", "b", "d"), markers.doneIds());
        assertEquals("b+c", JSON.readTree(markers.read("b")).get("with").asText(), "a was done, so b and c ran together");
        assertTrue(JSON.readTree(markers.read("a")).get("earlier").asBoolean());
        try (var s = Files.list(Path.of(runs))) {
            assertEquals(Set.of("b+c", "d"), s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }
}
