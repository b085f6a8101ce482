/**
 * A sweep as data: {@link org.dfcspark.dfc.sweep.SweepGrid} (a base recipe and axes, read from conf/sweeps/*.conf)
 * expands into {@link org.dfcspark.dfc.sweep.Variant}s (each a complete {@link org.dfcspark.dfc.train.TrainConfig});
 * {@link org.dfcspark.dfc.sweep.VariantMetrics} is what the summary says about one. Running them is
 * {@code org.dfcspark.jobs.sweep}. No Spark. Grid file and summary table: data-schemas/sweep.md; docs/DESIGN.md "Sweeps".
 */
package org.dfcspark.dfc.sweep;
