/**
 * The model organism: a synthetic tool-use {@link org.dfcspark.organism.World} and two tiny Qwen2 models trained on it
 * from a seed, B by supervised training ({@link org.dfcspark.organism.SftTrainer}) and A by on-policy RL from B
 * ({@link org.dfcspark.organism.RlTrainer}), so the pipeline has a pair whose difference is known.
 * {@link org.dfcspark.organism.OrganismBuilder} builds it (tokenizer, prompts tables, model directories in HF format)
 * and {@link org.dfcspark.organism.OrganismEval} measures it. Uses the runtime and the scorers; no Spark (the prompts
 * tables' Parquet files are written by {@code org.dfcspark.jobs.prompts.OrganismTables}). docs/ORGANISM.md;
 * docs/DESIGN.md "Model organism"; its prompts follow data-schemas/prompts.md.
 */
package org.dfcspark.organism;
