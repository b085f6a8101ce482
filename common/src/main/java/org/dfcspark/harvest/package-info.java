/**
 * The harvest's compute, independent of Spark: a prompt record becomes a {@link org.dfcspark.harvest.PreparedSequence}
 * ({@link org.dfcspark.harvest.SequencePreparer}, {@link org.dfcspark.harvest.PositionPlanner}: render, tokenize,
 * choose positions), and {@link org.dfcspark.harvest.PairedHarvester} runs models A and B on the same ids and returns
 * {@link org.dfcspark.harvest.ActivationRow}s, with attention sinks detected ({@link org.dfcspark.harvest.SinkDetector})
 * and per-channel statistics ({@link org.dfcspark.harvest.ChannelMoments}). {@link org.dfcspark.harvest.ModelPair}
 * checks that two models can be harvested as a pair. Uses {@code model}, {@code text}, {@code data}; no Spark (the
 * Spark job is {@code org.dfcspark.jobs.harvest}). Store format: data-schemas/activations.md; docs/DESIGN.md "Harvest".
 */
package org.dfcspark.harvest;
