/**
 * {@code bin/dfc experiment}: the whole study from one HOCON file. {@link org.dfcspark.jobs.experiment.ExperimentConfig}
 * (the model pair, hooks, training prompts and one block per stage in that stage's own format),
 * {@link org.dfcspark.jobs.experiment.ExperimentJob} (harvest → sweep → evaluate → report into one run directory, each
 * stage skipped when complete with the same settings fingerprint, resumed when interrupted, re-run after moving a stale
 * output aside; the report stage is {@link org.dfcspark.jobs.report.ReportJob}). docs/DESIGN.md "Experiments".
 */
package org.dfcspark.jobs.experiment;
