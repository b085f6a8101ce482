/**
 * Data-parallel crosscoder training without Spark: {@link org.dfcspark.dfc.train.TrainConfig} (a training run as
 * data, the {@code bin/dfc train} HOCON), {@link org.dfcspark.dfc.train.ReplicaTrainer} (one replica's loop over
 * seeded {@link org.dfcspark.dfc.train.BlockShuffledStream}s of {@link org.dfcspark.dfc.train.UnitSource} units),
 * {@link org.dfcspark.dfc.train.AllReduce} and {@link org.dfcspark.dfc.train.SyncMode} (how replicas stay together),
 * {@link org.dfcspark.dfc.train.TrainState} (exact resume: state.json + optimiser beside the checkpoint). The Spark side
 * (barrier stage, collective) is {@code org.dfcspark.jobs.train}. Must not depend on Spark. Checkpoint and state:
 * data-schemas/checkpoint.md; configs: conf/train/; docs/DESIGN.md "Training on Spark".
 */
package org.dfcspark.dfc.train;
