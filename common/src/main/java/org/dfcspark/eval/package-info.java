/**
 * The Spark-free half of the evaluation: a {@link org.dfcspark.eval.Condition} (which model generates, how its residual
 * at the crosscoder's hook is edited) becomes a {@link org.dfcspark.eval.PairEdit}
 * ({@link org.dfcspark.eval.ConditionEdits}, {@link org.dfcspark.eval.Steering}), {@link org.dfcspark.eval.ConditionGenerator}
 * generates a prompt under many conditions sharing the prompt's forward, {@link org.dfcspark.eval.GenerationScores}
 * scores a generation with all four scorers, {@link org.dfcspark.eval.ConditionStats} makes a results row, and
 * {@link org.dfcspark.eval.FeatureRanking} / {@link org.dfcspark.eval.TopContexts} pick and show features. Uses
 * {@code model}, {@code dfc}, {@code toolcall}; no Spark (the job is {@code org.dfcspark.jobs.evaluate}). Tables:
 * data-schemas/evaluation.md; docs/DESIGN.md "Evaluation library".
 */
package org.dfcspark.eval;
