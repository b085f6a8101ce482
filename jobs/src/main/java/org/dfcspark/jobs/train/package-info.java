/**
 * {@code bin/dfc train}: one crosscoder trained by data-parallel replicas, the tasks of one Spark barrier stage.
 * {@link org.dfcspark.jobs.train.TrainJob} (driver: open the data, fit the normalisation, check the output, run the
 * stage, retry a failed attempt from the last checkpoint), {@link org.dfcspark.jobs.train.ReplicaTask} (one replica,
 * running {@code org.dfcspark.dfc.train.ReplicaTrainer}), {@link org.dfcspark.jobs.train.XgbAllReduce} (the gradient
 * collective: XGBoost4J's ring over TCP), {@link org.dfcspark.jobs.train.TrainData} and
 * {@link org.dfcspark.jobs.train.StoreLayerIndex} / {@link org.dfcspark.jobs.train.StoreUnits} (a harvest store's layer
 * as row-group units). Not a work-item stage (a barrier stage resumes from checkpoints instead); it uses
 * {@code org.dfcspark.jobs.work.HadoopFiles} for files. Checkpoint format: data-schemas/checkpoint.md; configs:
 * conf/train/; docs/DESIGN.md "Training on Spark".
 */
package org.dfcspark.jobs.train;
