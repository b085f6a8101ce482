package org.dfcspark.jobs.sweep;

import org.dfcspark.jobs.work.WorkItem;

/**
 * One variant × hook of a sweep as a work item: what a task needs to train it without the driver, its training and
 * crosscoder configs as JSON (the normalisation is fitted on the driver) and its checkpoint directory. Its id,
 * {@code NAME@HOOK}, names its done marker ({@code OUT/_sweep/done/NAME@HOOK.json}).
 */
record SweepVariant(String name, String hook, String dir, String trainConfig, String crosscoderConfig, long flops) implements WorkItem {
    @Override
    public String id() {
        return name + "@" + hook;
    }

    @Override
    public String describe() {
        return "variant " + name + " at " + hook;
    }
}
