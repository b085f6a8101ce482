package org.dfcspark.dfc.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.dfcspark.dfc.ArrayActivations;
import org.dfcspark.dfc.Checkpoint;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.Normalization;
import org.dfcspark.dfc.SyntheticActivations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Several crosscoders trained in lockstep on one stream of batches train exactly what each would train alone. */
class LockstepTrainingTest {
    static final int D = 16;
    static final ArrayActivations DATA = SyntheticActivations.planted(D, 4, 4, 16, 0.1, 0.01, 2048, 7).source("planted");

    @TempDir
    Path dir;

    static TrainConfig base(Map<String, String> sets) {
        TrainConfig c = TrainConfig.defaults().with(Map.of("dict_size", "64", "k", "4", "steps", "40", "batch", "64", "streams", "2",
                "lr", "0.001", "checkpoint_every", "10", "log_every", "10", "bias_init", "mean", "seed", "3"));
        return c.with(sets);
    }

    static List<TrainConfig> variants() {
        return List.of(base(Map.of()), base(Map.of("dict_size", "96", "k", "8", "coupling", "tied", "normalization", "zscore")),
                base(Map.of("excl_a", "0", "excl_b", "0", "l1_excl", "0", "steps", "30", "sparsity", "batchtopk", "threshold_start", "5")));
    }

    /** {@code failAtStep}: the step at which the learner throws (-1: never). */
    static ReplicaTrainer.Job job(TrainConfig c, Path out, long failAtStep) throws Exception {
        Normalization.Scheme s = c.normalizationScheme();
        Normalization n = s == null ? null : Normalization.fit(DATA, s, c.coupling() == org.dfcspark.dfc.Coupling.TIED, Double.NaN);
        return new ReplicaTrainer.Job(c, c.crosscoderConfig(D, n), out, failAtStep);
    }

    /** The metrics log, less its wall-clock rates (in lockstep a learner's window also holds the others' steps). */
    private static List<String> metricsWithoutTimes(Path run) throws java.io.IOException {
        return Files.readAllLines(run.resolve(Checkpoint.METRICS)).stream().map(l -> l.replaceAll(",\"rows_per_s\":[0-9.Ee+-]+", "")).toList();
    }

    /** On one thread the learners take turns; on 2 or 3 they step side by side (each thread the next learner). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void lockstepGivesTheParametersOfSeparateRuns(int threads) throws Exception {
        List<ReplicaTrainer.Job> jobs = new ArrayList<>();
        List<TrainConfig> vs = variants();
        for (int i = 0; i < vs.size(); i++) jobs.add(job(vs.get(i), dir.resolve("lockstep-" + i), -1));
        AtomicLong steps = new AtomicLong();
        List<ReplicaTrainer.Result> together = new ReplicaTrainer(jobs, new SourceUnits(DATA, 128), AllReduce.single(), null, threads)
                .onEveryStep(() -> steps.set(steps.get() + 1)) // not atomic: the trainer calls it one step at a time
                .runAll();
        assertEquals(vs.stream().mapToLong(TrainConfig::steps).sum(), steps.get());
        for (int i = 0; i < vs.size(); i++) {
            Path alone = dir.resolve("alone-" + i);
            ReplicaTrainer.Result r = new ReplicaTrainer(List.of(job(vs.get(i), alone, -1)), new SourceUnits(DATA, 128), AllReduce.single(), null, 1).run();
            assertEquals(vs.get(i).steps(), r.steps());
            assertEquals(r.steps(), together.get(i).steps());
            assertNull(together.get(i).stopped());
            assertSameParameters(Checkpoint.load(alone), Checkpoint.load(dir.resolve("lockstep-" + i)));
            assertTrue(TrainState.read(dir.resolve("lockstep-" + i)).finished());
            // the batches are read ahead in lockstep; each checkpoint still records the data position after its step
            assertEquals(TrainState.read(alone).positions(), TrainState.read(dir.resolve("lockstep-" + i)).positions());
            assertEquals(metricsWithoutTimes(alone), metricsWithoutTimes(dir.resolve("lockstep-" + i)));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aFailingOrDivergingLearnerStopsAloneAndResumesLater(int threads) throws Exception {
        List<TrainConfig> vs = variants();
        TrainConfig failing = vs.get(0);
        TrainConfig diverging = vs.get(2).with(Map.of("lr", "1e30", "clip", "0"));
        List<ReplicaTrainer.Job> jobs = List.of(job(failing, dir.resolve("f"), 15), job(vs.get(1), dir.resolve("ok"), -1),
                job(diverging, dir.resolve("d"), -1));
        List<ReplicaTrainer.Result> rs = new ReplicaTrainer(jobs, new SourceUnits(DATA, 128), AllReduce.single(), null, threads).runAll();
        assertTrue(rs.get(0).failed());
        assertTrue(rs.get(0).stopped().contains("injected failure at step 15"), rs.get(0).stopped());
        assertEquals(15, rs.get(0).steps());
        assertEquals(10, TrainState.read(dir.resolve("f")).step()); // its last checkpoint is kept
        assertFalse(rs.get(2).failed());
        assertNotNull(rs.get(2).stopped());
        assertTrue(rs.get(2).stopped().contains("diverged"), rs.get(2).stopped());
        assertNull(rs.get(1).stopped()); // the others go on, unaffected
        ReplicaTrainer.Result alone = new ReplicaTrainer(List.of(job(vs.get(1), dir.resolve("alone"), -1)), new SourceUnits(DATA, 128),
                AllReduce.single(), null, 1).run();
        assertEquals(alone.steps(), rs.get(1).steps());
        assertSameParameters(Checkpoint.load(dir.resolve("alone")), Checkpoint.load(dir.resolve("ok")));

        // Resumed from its step-10 checkpoint (the failure was injected once), the failed one ends as a separate run would.
        ReplicaTrainer.Result resumed = new ReplicaTrainer(List.of(job(failing, dir.resolve("f"), -1)),
                new SourceUnits(DATA, 128), AllReduce.single(), null, 1).run();
        assertEquals(10, resumed.resumedFrom());
        new ReplicaTrainer(List.of(job(vs.get(0), dir.resolve("f-alone"), -1)), new SourceUnits(DATA, 128), AllReduce.single(), null, 1).run();
        assertSameParameters(Checkpoint.load(dir.resolve("f-alone")), Checkpoint.load(dir.resolve("f")));
    }

    @Test
    void learnersMustReadTheSameBatchesAndStartTogether() throws Exception {
        TrainConfig a = base(Map.of()), b = base(Map.of("seed", "4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ReplicaTrainer(List.of(job(a, dir.resolve("a"), -1), job(b, dir.resolve("b"), -1)), new SourceUnits(DATA, 128),
                        AllReduce.single(), null, 1));
        assertTrue(e.getMessage().contains("seed 3 / 4"), e.getMessage());
        new ReplicaTrainer(List.of(job(a.with(Map.of("steps", "10")), dir.resolve("a"), -1)), new SourceUnits(DATA, 128), AllReduce.single(), null, 1).run();
        TrainConfig a40 = a.with(Map.of("steps", "10"));
        e = assertThrows(IllegalArgumentException.class, () -> new ReplicaTrainer(List.of(job(a40, dir.resolve("a"), -1),
                job(a40.with(Map.of("k", "8")), dir.resolve("c"), -1)), new SourceUnits(DATA, 128), AllReduce.single(), null, 1).runAll());
        assertTrue(e.getMessage().contains("same step"), e.getMessage());
    }

    static void assertSameParameters(Crosscoder expected, Crosscoder actual) {
        float[][] e = expected.parameterArrays(), a = actual.parameterArrays();
        for (int i = 0; i < e.length; i++) assertArrayEquals(e[i], a[i], 0f, "parameter array " + i);
    }
}
