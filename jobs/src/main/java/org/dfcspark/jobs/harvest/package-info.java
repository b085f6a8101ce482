/**
 * {@code bin/dfc harvest}: paired activations of models A and B on Spark. {@link org.dfcspark.jobs.harvest.HarvestJob}
 * (driver) makes the plan once ({@link org.dfcspark.jobs.harvest.HarvestPlan}: prompts rendered, tokenized, positions
 * chosen, cut into {@link org.dfcspark.jobs.harvest.HarvestShard}s), runs the pending shards as work items
 * ({@link org.dfcspark.jobs.harvest.ShardTask} through {@code org.dfcspark.jobs.work.WorkQueue}, the models from
 * {@code ModelCache} once per executor), then writes the statistics, the optional shuffled copy and the manifest last.
 * {@link org.dfcspark.jobs.harvest.StoreLayout} says where everything lives; {@link org.dfcspark.jobs.harvest.HarvestOptions}
 * is what it runs with; {@link org.dfcspark.jobs.harvest.ActivationStoreValidator} checks a store against its schema.
 * The compute is {@code org.dfcspark.harvest}; this package must stay a thin driver. Store format:
 * data-schemas/activations.md; docs/DESIGN.md "Harvest"; conf/harvest-example.conf.
 */
package org.dfcspark.jobs.harvest;
