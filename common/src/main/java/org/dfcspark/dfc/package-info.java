/**
 * Dedicated Feature Crosscoders: {@link org.dfcspark.dfc.Crosscoder} (the paper's six tensors and its
 * {@link org.dfcspark.dfc.Partition} into A-exclusive, B-exclusive and shared features),
 * {@link org.dfcspark.dfc.CrosscoderConfig}, one batch through it ({@link org.dfcspark.dfc.BatchStep}), the
 * optimisation step ({@link org.dfcspark.dfc.CrosscoderTrainer}, {@link org.dfcspark.dfc.Adam}), single-process
 * training ({@link org.dfcspark.dfc.TrainingRun}) over an {@link org.dfcspark.dfc.ActivationSource}, and the checkpoint
 * directory ({@link org.dfcspark.dfc.Checkpoint}, {@link org.dfcspark.dfc.CheckpointState}). Losses and sparsity rules
 * are in {@code dfc.rules}, data-parallel training in {@code dfc.train}, sweeps in {@code dfc.sweep}. No model runtime
 * and no Spark. Checkpoint format: data-schemas/checkpoint.md; decisions: docs/DESIGN.md "Dedicated Feature
 * Crosscoders".
 */
package org.dfcspark.dfc;
