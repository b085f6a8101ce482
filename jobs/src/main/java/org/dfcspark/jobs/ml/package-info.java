/**
 * The crosscoder as a Spark ML estimator and transformer, for users who work in DataFrames:
 * {@link org.dfcspark.jobs.ml.DfcData} (a store layer as a dataset), {@link org.dfcspark.jobs.ml.DfcEstimator}
 * ({@code fit} trains one) and {@link org.dfcspark.jobs.ml.DfcModel} ({@code transform} adds the codes). Not a pipeline
 * stage (the pipeline uses {@code org.dfcspark.jobs.train} and {@code org.dfcspark.jobs.sweep}); it reuses their
 * store readers. docs/DESIGN.md "Spark ML API".
 */
package org.dfcspark.jobs.ml;
