package org.dfcspark.jobs.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfcspark.dfc.train.TrainConfig;

/**
 * How a sweep's variants become Spark tasks. Variants that read the same batches (same {@link TrainConfig#dataIdentity})
 * are trained in lockstep; each such set is cut into groups of at most {@code pack} variants (0: the sweep's variants
 * spread over {@code slots} tasks, {@link SweepJob#packSlots}: in local mode one per set), balanced by their FLOPs
 * (largest first, each to the lightest group; among equally light groups, the one whose members share the fewest
 * settings with it, so that FLOPs are not the only cost spread: dealt in turns, the organism grid's variants with an L1
 * penalty all went to one task, which trained 6% longer). Without lockstep
 * every variant is its own group. Data-parallel variants ({@code replicas > 1}) are not grouped: each runs as its own
 * barrier stage.
 */
final class SweepPlan {
    private SweepPlan() {}

    /** Dense FLOPs of a variant's training (6·B·2d·D per step, the count {@code CrosscoderBenchmark} uses). */
    static long flops(TrainConfig c, int d) {
        return (long) (6.0 * c.batch() * 2.0 * d * c.dictSize() * c.steps());
    }

    /** Bytes a variant's training reads from a store of {@code bytesPerValue} (one read of every batch). */
    static long bytesRead(TrainConfig c, int d, int bytesPerValue) {
        return (long) c.steps() * c.batch() * 2L * d * bytesPerValue;
    }

    /**
     * @param members the variants, each with its config (replicas = 1)
     * @param slots   how many tasks to spread the variants over ({@link SweepJob#packSlots})
     */
    static List<List<SweepVariant>> packs(List<SweepVariant> members, Map<String, TrainConfig> configs, int pack, boolean lockstep,
                                          int slots) {
        List<List<SweepVariant>> out = new ArrayList<>();
        if (!lockstep) {
            for (SweepVariant m : members) out.add(List.of(m));
            return out;
        }
        Map<String, List<SweepVariant>> byData = new LinkedHashMap<>();
        for (SweepVariant m : members) byData.computeIfAbsent(configs.get(m.id()).dataIdentity().toString(), k -> new ArrayList<>()).add(m);
        int size = pack > 0 ? pack : Math.max(1, (members.size() + slots - 1) / slots);
        for (List<SweepVariant> same : byData.values()) {
            int n = (same.size() + size - 1) / size;
            List<List<SweepVariant>> groups = new ArrayList<>();
            long[] load = new long[n];
            List<Map<String, Integer>> settingCounts = new ArrayList<>(); // per group: how many members have key=value
            for (int i = 0; i < n; i++) {
                groups.add(new ArrayList<>());
                settingCounts.add(new java.util.HashMap<>());
            }
            List<SweepVariant> heaviestFirst = new ArrayList<>(same);
            heaviestFirst.sort(Comparator.comparingLong(SweepVariant::flops).reversed());
            for (SweepVariant m : heaviestFirst) {
                List<String> mine = settings(configs.get(m.id()));
                int lightest = -1; // n × size ≥ the set's size, so some group has room
                long fewestAlike = Long.MAX_VALUE;
                for (int i = 0; i < n; i++) {
                    if (groups.get(i).size() >= size || (lightest >= 0 && load[i] > load[lightest])) continue;
                    // equally light: the group least like m, so that every value of every setting is spread (dealt in
                    // turns, the grid's innermost axis went by parity: all variants with L1 in one task, which ran 6% longer)
                    long alike = 0;
                    for (String kv : mine) alike += settingCounts.get(i).getOrDefault(kv, 0);
                    if (lightest < 0 || load[i] < load[lightest] || alike < fewestAlike) {
                        lightest = i;
                        fewestAlike = alike;
                    }
                }
                groups.get(lightest).add(m);
                load[lightest] += m.flops();
                for (String kv : mine) settingCounts.get(lightest).merge(kv, 1, Integer::sum);
            }
            // the grid's order inside a group: its checkpoints and logs read in the order the user wrote
            for (List<SweepVariant> g : groups) {
                g.sort(Comparator.comparingInt(same::indexOf));
                out.add(g);
            }
        }
        return out;
    }

    /** A variant's training settings as {@code key=value} strings. */
    private static List<String> settings(TrainConfig c) {
        List<String> out = new ArrayList<>();
        c.toMap().forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }
}
