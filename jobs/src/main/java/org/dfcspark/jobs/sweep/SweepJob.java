package org.dfcspark.jobs.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.CrosscoderBenchmark;
import org.dfcspark.dfc.CrosscoderConfig;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.dfc.train.TrainConfig;
import org.dfcspark.dfc.train.TrainState;
import org.dfcspark.dfc.train.UnitSource;
import org.dfcspark.jobs.cluster.ClusterPaths;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.train.TrainData;
import org.dfcspark.jobs.train.TrainJob;
import org.dfcspark.jobs.work.DoneMarkers;
import org.dfcspark.jobs.work.InFlightProgress;
import org.dfcspark.jobs.work.ProgressReporter;
import org.dfcspark.jobs.work.WorkQueue;

/**
 * {@code bin/dfc sweep}: every variant × hook of a grid ({@link SweepGrid}) trained on Spark, exactly once. The driver
 * opens the store's layers, fits each variant's normalisation, refuses an output directory that holds other runs,
 * plans the tasks ({@link SweepPlan}: variants reading the same batches in lockstep), runs the groups with pending
 * variants, one Spark task each ({@link SweepTask}), with a progress line, then the data-parallel variants (one
 * barrier stage each, {@link TrainJob}), and writes {@code OUT/summary.parquet} + {@code OUT/summary.csv}
 * ({@link SweepSummary}). A rerun skips what is done and resumes the rest from its checkpoints.
 */
public final class SweepJob {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a run did: variants selected, trained now, already done before; of the selected, how they ended. */
    public record Outcome(int variants, int ran, int alreadyDone, int finished, int diverged, int failed, double seconds, Path summary) {}

    private SweepJob() {}

    public static Outcome run(SparkSession spark, SweepGrid given, Path outArg, Set<String> only, boolean dryRun, double progressSeconds,
                              PrintStream log) throws IOException {
        long started = System.nanoTime();
        SparkConf conf = spark.sparkContext().getConf();
        String master = conf.get("spark.master", "local[2]");
        Path out = Path.of(ClusterPaths.forExecutors(outArg.toString(), "--out", conf));
        String store = given.variants().get(0).config().store();
        if (store == null) throw new IllegalArgumentException("no store given (--store DIR, or store = ... in the grid's train { })");
        SweepGrid grid = given.with(Map.of("store", ClusterPaths.forExecutors(store, "--store", conf)));
        List<Variant> all = grid.variants(), selected = select(all, only);

        // 1. the data of every hook, each variant's crosscoder config (normalisation fitted here)
        Prepared prep = prepare(grid, selected, out, log);
        Map<String, TrainData> data = prep.data();
        Map<String, TrainConfig> configs = prep.configs();
        List<SweepVariant> members = prep.lockstep(), parallel = prep.parallel();
        int slots = Math.max(1, spark.sparkContext().defaultParallelism());
        List<List<SweepVariant>> planned = SweepPlan.packs(members, configs, grid.settings().pack(), grid.settings().lockstep(),
                packSlots(master, slots, conf.getInt("spark.task.cpus", 1)));

        if (dryRun) {
            dryRun(grid, selected, data, configs, planned, parallel, master, slots, log);
            return new Outcome(selected.size(), 0, 0, 0, 0, 0, (System.nanoTime() - started) / 1e9, null);
        }

        // 2. OUT is new, or a sweep whose variants were trained with the same settings
        claimOutput(out, selected, configs, grid);

        // 3. pending work: the variants without a done marker (a failed one has none: it is retried)
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        DoneMarkers markers = doneMarkers(out, hadoop), failures = failureRecords(out, hadoop);
        markers.deleteTemporaries();
        List<List<SweepVariant>> packs = new ArrayList<>();
        for (List<SweepVariant> p : planned) {
            List<SweepVariant> pending = WorkQueue.pending(p, markers);
            if (!pending.isEmpty()) packs.add(pending);
        }
        List<SweepVariant> parallelPending = WorkQueue.pending(parallel, markers);
        int pendingCount = parallelPending.size();
        for (List<SweepVariant> p : packs) pendingCount += p.size();
        int done = selected.size() - pendingCount;
        int threads = ExecutorRuntime.threadsPerTask(conf, packs.size()); // local mode: one pack alone gets every core
        log.printf(Locale.ROOT, "sweep: %d variant(s) x hook(s) from %s, %d already done; %d to train in %d task(s)%s on %s -> %s%n",
                selected.size(), grid.source(), done, pendingCount, packs.size(), grid.settings().lockstep() ? " (lockstep)" : "", master, out);

        // 4. the packs, one Spark task each
        if (!packs.isEmpty()) runPacks(spark, selected, packs, new SweepTask(data, failures, out, grid.settings().evalRows(), threads), markers, out,
                progressSeconds, log);

        // 5. data-parallel variants, one barrier stage each
        for (SweepVariant m : parallelPending) {
            TrainConfig c = configs.get(m.id());
            TrainJob.Outcome o = TrainJob.run(spark, c, Path.of(m.dir()), true, log);
            try (UnitSource source = data.get(c.hook()).open()) {
                markers.markDone(m.id(), SweepTask.afterTraining(m, o.stopped().isEmpty() ? null : o.stopped(), o.steps(), o.rowsPerSecond(),
                        o.seconds(), SweepTask.evalRows(source, grid.settings().evalRows()), threads));
            }
        }

        // 6. the summary of every variant of the grid
        List<Row> rows = new ArrayList<>();
        int finished = 0, diverged = 0, failed = 0;
        Set<String> selectedIds = new LinkedHashSet<>();
        for (Variant v : selected) selectedIds.add(v.id());
        for (Variant v : all) {
            String json = markers.read(v.id());
            if (json == null) json = failures.read(v.id());
            JsonNode marker = json == null ? null : JSON.readTree(json);
            rows.add(SweepSummary.row(grid, v, marker));
            if (marker == null || !selectedIds.contains(v.id())) continue;
            switch (marker.get("status").asText()) {
                case "finished" -> finished++;
                case "diverged" -> diverged++;
                default -> failed++;
            }
        }
        SweepSummary.write(spark, SweepSummary.schema(grid, all), rows, out);
        double sec = (System.nanoTime() - started) / 1e9;
        log.printf(Locale.ROOT, "sweep: %d finished, %d diverged, %d failed of %d [%.1f s]; summary: %s%n", finished, diverged, failed,
                selected.size(), sec, out.resolve("summary.parquet"));
        return new Outcome(selected.size(), pendingCount, done, finished, diverged, failed, sec, out.resolve("summary.parquet"));
    }

    /** Each hook's data, and each variant as a work item with its configs (the normalisation fitted here, once per kind). */
    private record Prepared(Map<String, TrainData> data, Map<String, TrainConfig> configs, List<SweepVariant> lockstep, List<SweepVariant> parallel) {}

    private static Prepared prepare(SweepGrid grid, List<Variant> selected, Path out, PrintStream log) throws IOException {
        Map<String, TrainData> data = new LinkedHashMap<>();
        Map<String, Normalization> norms = new HashMap<>();
        Map<String, TrainConfig> configs = new HashMap<>();
        List<SweepVariant> members = new ArrayList<>(), parallel = new ArrayList<>();
        for (Variant v : selected) {
            TrainConfig c = v.config();
            TrainData d = data.get(v.hook());
            if (d == null) {
                d = TrainData.of(c);
                TrainJob.checkData(c, d, log);
                data.put(v.hook(), d);
            }
            TrainData hookData = d;
            Normalization.Scheme scheme = c.normalizationScheme();
            String nk = v.hook() + "|" + c.normalization() + "|" + c.coupling();
            Normalization norm = scheme == null ? null : norms.computeIfAbsent(nk, k -> fit(hookData, c));
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("data", d.describe());
            prov.put("store", c.store());
            prov.put("hook", v.hook());
            prov.put("data_rows", d.rows());
            prov.put("init_weights", c.init().id());
            prov.put("sweep", grid.source());
            prov.put("variant", v.name());
            CrosscoderConfig cc = c.crosscoderConfig(d.dim(), norm).withProvenance(prov);
            SweepVariant m = new SweepVariant(v.name(), v.hook(), v.dir(out, grid.severalHooks()).toString(), c.toJson(), cc.toJson(),
                    SweepPlan.flops(c, d.dim()));
            configs.put(v.id(), c);
            (c.replicas() > 1 ? parallel : members).add(m);
        }
        return new Prepared(data, configs, members, parallel);
    }

    private static void runPacks(SparkSession spark, List<Variant> selected, List<List<SweepVariant>> packs, SweepTask task, DoneMarkers markers,
                                 Path out, double progressSeconds, PrintStream log) {
        long totalSteps = 0;
        for (Variant v : selected) totalSteps += v.config().steps();
        try (InFlightProgress inFlight = new InFlightProgress(spark.sparkContext(), "sweep", List.of("steps"));
             ProgressReporter progress = new ProgressReporter(markers, (id, json) -> new long[] {JSON.readTree(json).get("steps").asLong()},
                     inFlight, selected.size(), new long[] {totalSteps}, progressSeconds,
                     p -> String.format(Locale.ROOT, "sweep: %d/%d variants done, %d/%d steps (%.1f%%), %.1f steps/s, ETA %s",
                             p.itemsDone(), p.itemsTotal(), p.done()[0], p.total()[0], p.percent(0), p.rate(0), p.eta(0)), log::println)) {
            WorkQueue.runPacked(spark, "dfc sweep " + out.getFileName() + " (" + packs.size() + " tasks)", packs, markers, task, inFlight.taskProgress());
            log.println(progress.line());
        } catch (Exception e) { // SparkException: a whole task failed (not one variant): what is done is kept
            Throwable cause = TrainJob.rootCause(e);
            if (cause instanceof IllegalArgumentException) throw new IllegalArgumentException(cause.getMessage(), e);
            throw new IllegalStateException("sweep: a task failed (" + cause.getMessage() + "); finished variants and checkpoints in "
                    + out + " are kept; rerun the same command to resume", e);
        }
    }

    /**
     * Lockstep tasks to plan per set of variants reading the same batches. Local mode is one executor: one task per set,
     * so that one read feeds all of them, trained on all the cores (its learners side by side, see {@link
     * org.dfcspark.dfc.train.ReplicaTrainer}): two tasks of fixed halves finished up to 20% apart when one core ran
     * slower for a while. On a cluster, the tasks that run at once ({@code spark.task.cpus} = the executors' cores
     * gives one task per executor, on all its cores).
     */
    static int packSlots(String master, int cores, int taskCpus) {
        return master.startsWith("local") ? 1 : Math.max(1, cores / Math.max(1, taskCpus));
    }

    /** Dense FLOPs of a variant's training at activation size {@code d} (what the dry run adds up). */
    public static long trainingFlops(TrainConfig c, int d) {
        return SweepPlan.flops(c, d);
    }

    /** {@code OUT/_sweep/done/NAME@HOOK.json}: a variant's done marker (its summary row's fields). */
    static DoneMarkers doneMarkers(Path out, Configuration hadoop) {
        return new DoneMarkers(new org.apache.hadoop.fs.Path(out.resolve("_sweep").resolve("done").toUri()), ".json", hadoop);
    }

    /** {@code OUT/_sweep/failed/NAME@HOOK.json}: the record of a variant that threw (kept as history once it succeeds). */
    static DoneMarkers failureRecords(Path out, Configuration hadoop) {
        return new DoneMarkers(new org.apache.hadoop.fs.Path(out.resolve("_sweep").resolve("failed").toUri()), ".json", hadoop);
    }

    private static Normalization fit(TrainData d, TrainConfig c) {
        try {
            return d.normalization(c);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code --only NAME,NAME}: those variants (at every hook); an unknown name is refused with the known ones. */
    static List<Variant> select(List<Variant> all, Set<String> only) {
        if (only == null || only.isEmpty()) return all;
        Set<String> names = new LinkedHashSet<>();
        for (Variant v : all) names.add(v.name());
        for (String n : only) {
            if (!names.contains(n)) throw new IllegalArgumentException("--only: no variant named '" + n + "' in the grid (" + names.size() + " variants: " + names + ")");
        }
        return all.stream().filter(v -> only.contains(v.name())).toList();
    }

    /**
     * OUT is absent, empty, or a sweep's: {@code _sweep/} present and every variant that already has a checkpoint there
     * was trained with this variant's settings (an extended grid may add variants; a changed one is refused).
     */
    private static void claimOutput(Path out, List<Variant> selected, Map<String, TrainConfig> configs, SweepGrid grid) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException(out + " exists and is not a directory; choose another --out");
        if (Files.isDirectory(out) && !Files.isDirectory(out.resolve("_sweep"))) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(out + " exists, is not empty and holds no sweep; choose another --out");
            }
        }
        for (Variant v : selected) {
            Path dir = v.dir(out, grid.severalHooks());
            if (!TrainState.exists(dir)) continue;
            String diff = configs.get(v.id()).identityDifference(TrainState.read(dir).settings());
            if (!diff.isEmpty()) {
                throw new IllegalArgumentException(dir + " holds variant " + v.name() + " trained with other settings (" + diff
                        + "); use another --out, or the grid it was trained with");
            }
        }
        Files.createDirectories(out.resolve("_sweep"));
        ObjectNode record = JSON.createObjectNode().put("grid", grid.source());
        var list = record.putArray("variants");
        for (Variant v : selected) list.addObject().put("id", v.id()).put("name", v.name()).put("hook", v.hook());
        Path recordFile = out.resolve("_sweep").resolve("last-run.json");
        String text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record);
        if (!Files.isRegularFile(recordFile) || !Files.readString(recordFile).equals(text)) Files.writeString(recordFile, text);
    }

    /** Prints every variant's work and the plan's estimated time on this master; writes nothing. */
    private static void dryRun(SweepGrid grid, List<Variant> selected, Map<String, TrainData> data, Map<String, TrainConfig> configs,
                               List<List<SweepVariant>> planned, List<SweepVariant> parallel, String master, int slots, PrintStream log) {
        log.printf(Locale.ROOT, "sweep (dry run): %d variant(s) x hook(s) from %s on %s (%d task slots)%n", selected.size(), grid.source(), master, slots);
        log.printf(Locale.ROOT, "  %-36s %-28s %7s %5s %6s %6s %10s %10s%n", "variant", "hook", "D", "k", "steps", "batch", "GFLOP", "MB read");
        long totalFlops = 0, bytesSeparate = 0;
        for (Variant v : selected) {
            TrainConfig c = configs.get(v.id());
            TrainData d = data.get(v.hook());
            long f = SweepPlan.flops(c, d.dim()), b = SweepPlan.bytesRead(c, d.dim(), bytesPerValue(d));
            totalFlops += f;
            bytesSeparate += b;
            log.printf(Locale.ROOT, "  %-36s %-28s %7d %5d %6d %6d %10.1f %10.1f%n", v.name(), v.hook(), c.dictSize(), c.k(), c.steps(), c.batch(),
                    f / 1e9, b / 1e6);
        }
        long bytesLockstep = 0;
        for (List<SweepVariant> g : planned) {
            long most = 0;
            for (SweepVariant m : g) {
                TrainConfig c = configs.get(m.id());
                most = Math.max(most, SweepPlan.bytesRead(c, data.get(c.hook()).dim(), bytesPerValue(data.get(c.hook()))));
            }
            bytesLockstep += most;
        }
        for (SweepVariant m : parallel) {
            TrainConfig c = configs.get(m.id());
            bytesLockstep += SweepPlan.bytesRead(c, data.get(c.hook()).dim(), bytesPerValue(data.get(c.hook())));
        }
        List<Integer> sizes = planned.stream().map(List::size).toList();
        log.printf(Locale.ROOT, "  plan: %d task(s) of %s variant(s)%s%s; store read: %.1f MB (%.1f MB with one read per variant)%n",
                planned.size(), sizes, grid.settings().lockstep() ? " in lockstep" : "", parallel.isEmpty() ? "" : ", " + parallel.size()
                        + " data-parallel variant(s) in their own stages", bytesLockstep / 1e6, bytesSeparate / 1e6);
        double gflops = CrosscoderBenchmark.matmulGflops(1024, 2);
        double seconds = totalFlops / 1e9 / (gflops * slots);
        log.printf(Locale.ROOT, "  total %.1f TFLOP; estimated %s on %s at this driver's dense matmul rate (%.0f GFLOP/s per slot x %d slots; "
                + "training steps reach ~50-75%% of it, so expect up to 2x longer)%n", totalFlops / 1e12, ProgressReporter.duration(seconds), master, gflops, slots);
        log.println("  nothing written (--dry-run)");
    }

    private static int bytesPerValue(TrainData d) {
        return d instanceof TrainData.Store s ? s.index().codec().bytesPerValue() : 4;
    }
}
