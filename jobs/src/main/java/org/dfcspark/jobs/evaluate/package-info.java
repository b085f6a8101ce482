/**
 * {@code bin/dfc evaluate}: reconstruction, spillover and steering of crosscoders on Spark.
 * {@link org.dfcspark.jobs.evaluate.EvaluateJob} (driver) checks first ({@link org.dfcspark.jobs.evaluate.Preflight}),
 * ranks features ({@link org.dfcspark.jobs.evaluate.FeatureRankingStage}), expands each crosscoder × hook's experiments
 * into conditions ({@link org.dfcspark.jobs.evaluate.ConditionPlan}), runs the
 * {@link org.dfcspark.jobs.evaluate.EvaluationItem}s (crosscoder × hook × prompt shard) as work items
 * ({@link org.dfcspark.jobs.evaluate.EvaluateTask} through {@code org.dfcspark.jobs.work.WorkQueue}) and writes the
 * tables ({@link org.dfcspark.jobs.evaluate.EvaluationTables}). {@link org.dfcspark.jobs.evaluate.EvaluateOptions} is
 * the HOCON config, {@link org.dfcspark.jobs.evaluate.Protocol} the rendering (paper | fixed). The generation and
 * scoring are {@code org.dfcspark.eval}. Tables: data-schemas/evaluation.md; conf/evaluate-example.conf;
 * docs/DESIGN.md "Evaluation on Spark".
 */
package org.dfcspark.jobs.evaluate;
