package org.dfcspark.jobs.sweep;

import java.io.Serializable;
import java.util.List;
import org.dfcspark.jobs.train.TrainData;

/**
 * One Spark task of a sweep: variants that read the same batches (same store, hook, batch, seed, streams), trained in
 * lockstep on one read of the store, or one variant alone. Each variant carries what its task needs to train it
 * without the driver: its training and crosscoder configs (as JSON: the normalisation is fitted on the driver) and
 * its checkpoint directory.
 */
record SweepGroup(int index, String hook, TrainData data, List<Member> members) implements Serializable {

    /** A variant as its task sees it. */
    record Member(String name, String id, String dir, String trainConfig, String crosscoderConfig, long flops) implements Serializable {}

    long flops() {
        long f = 0;
        for (Member m : members) f += m.flops();
        return f;
    }
}
