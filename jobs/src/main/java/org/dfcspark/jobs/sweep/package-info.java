/**
 * {@code bin/dfc sweep}: every variant × hook of a grid ({@code org.dfcspark.dfc.sweep.SweepGrid}) trained on Spark,
 * exactly once. {@link org.dfcspark.jobs.sweep.SweepJob} (driver), {@link org.dfcspark.jobs.sweep.SweepPlan} (variants
 * that read the same batches packed into one task, trained in lockstep), {@link org.dfcspark.jobs.sweep.SweepTask} (a
 * pack, one done marker per variant through {@code org.dfcspark.jobs.work.WorkQueue#runPacked}),
 * {@link org.dfcspark.jobs.sweep.SweepVariant} (the work item) and {@link org.dfcspark.jobs.sweep.SweepSummary} (the
 * summary table). Data-parallel variants go through {@code org.dfcspark.jobs.train.TrainJob}. Grid file, output layout
 * and summary: data-schemas/sweep.md; grids: conf/sweeps/; docs/DESIGN.md "Sweeps".
 */
package org.dfcspark.jobs.sweep;
