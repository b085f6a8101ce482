package org.dfcspark.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.sweep.SweepGrid;
import org.dfcspark.dfc.sweep.Variant;
import org.dfcspark.dfc.train.TrainConfig;
import org.junit.jupiter.api.Test;

class SweepPlanTest {
    /**
     * The organism-48 grid over two task slots: two lockstep tasks of 48 with equal FLOPs, and every value of every
     * setting the grid varies split evenly between them (dealt 0, 1, 0, 1, the innermost axis went by parity: every
     * variant with an L1 penalty in one task, which trained 6% longer than the other).
     */
    @Test
    void lockstepTasksGetEveryAxisValueInEqualShares() {
        SweepGrid grid = SweepGrid.fromFile(ProjectPaths.root().resolve("conf/sweeps/organism-48.conf").toString())
                .with(Map.of("store", "/nonexistent"));
        List<SweepVariant> members = new ArrayList<>();
        Map<String, TrainConfig> configs = new HashMap<>();
        Map<String, Variant> byId = new HashMap<>();
        for (Variant v : grid.variants()) {
            SweepVariant m = new SweepVariant(v.name(), v.hook(), "/nonexistent/" + v.name(), "{}", "{}", SweepPlan.flops(v.config(), 128));
            members.add(m);
            configs.put(m.id(), v.config());
            byId.put(m.id(), v);
        }
        List<List<SweepVariant>> packs = SweepPlan.packs(members, configs, 0, true, 2);
        assertEquals(2, packs.size());
        assertEquals(48, packs.get(0).size());
        assertEquals(packs.get(0).stream().mapToLong(SweepVariant::flops).sum(), packs.get(1).stream().mapToLong(SweepVariant::flops).sum());
        for (String axis : List.of("l1_shared", "l1_excl", "excl_a", "excl_b", "coupling", "dict_size", "k")) {
            List<Map<String, Integer>> counts = new ArrayList<>();
            for (List<SweepVariant> pack : packs) {
                Map<String, Integer> c = new TreeMap<>();
                for (SweepVariant m : pack) c.merge(String.valueOf(byId.get(m.id()).axes().get(axis)), 1, Integer::sum);
                counts.add(c);
            }
            assertEquals(counts.get(0), counts.get(1), "axis " + axis);
        }
    }

    /** Local mode is one executor: one lockstep task per hook, on all cores; a cluster: the tasks that run at once. */
    @Test
    void packSlotsAreOnePerExecutorInLocalModeAndTheConcurrentTasksOnACluster() {
        assertEquals(1, SweepJob.packSlots("local[2]", 2, 1));
        assertEquals(1, SweepJob.packSlots("local[*]", 16, 1));
        assertEquals(8, SweepJob.packSlots("spark://host:7077", 8, 1));
        assertEquals(2, SweepJob.packSlots("spark://host:7077", 8, 4)); // spark.task.cpus = 4 on 4-core executors
    }
}
