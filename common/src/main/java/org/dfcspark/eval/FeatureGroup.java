package org.dfcspark.eval;

import org.dfcspark.dfc.Partition;

/** A block of a crosscoder's partition (SCIENCE.md §3), or the whole dictionary; each is a contiguous range. */
public enum FeatureGroup {
    A_EXCLUSIVE("a_exclusive"), B_EXCLUSIVE("b_exclusive"), SHARED("shared"), ALL("all");

    private final String id;

    FeatureGroup(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** First feature of the group. */
    public int from(Partition p) {
        return switch (this) {
            case A_EXCLUSIVE, ALL -> 0;
            case B_EXCLUSIVE -> p.nA();
            case SHARED -> p.sharedStart();
        };
    }

    /** One past the last feature of the group. */
    public int to(Partition p) {
        return switch (this) {
            case A_EXCLUSIVE -> p.nA();
            case B_EXCLUSIVE -> p.sharedStart();
            case SHARED, ALL -> p.dictSize();
        };
    }

    public boolean contains(Partition p, int feature) {
        return feature >= from(p) && feature < to(p);
    }

    /** The group a feature belongs to (never ALL). */
    public static FeatureGroup of(Partition p, int feature) {
        return switch (p.kind(feature)) {
            case A_EXCLUSIVE -> A_EXCLUSIVE;
            case B_EXCLUSIVE -> B_EXCLUSIVE;
            case SHARED -> SHARED;
        };
    }

    public static FeatureGroup parse(String s) {
        for (FeatureGroup g : values()) if (g.id.equals(s)) return g;
        throw new IllegalArgumentException("partition must be a_exclusive, b_exclusive, shared or all, got '" + s + "'");
    }
}
