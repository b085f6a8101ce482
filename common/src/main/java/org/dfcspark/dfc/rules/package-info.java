/**
 * The training objectives and sparsity rules of {@code org.dfcspark.dfc}, one class each, found by name:
 * {@link org.dfcspark.dfc.rules.LossRules} ({@link org.dfcspark.dfc.rules.PaperLoss},
 * {@link org.dfcspark.dfc.rules.ReferenceLoss}, {@link org.dfcspark.dfc.rules.AnthropicLoss}) and
 * {@link org.dfcspark.dfc.rules.SparsityRules} ({@link org.dfcspark.dfc.rules.TopKRule},
 * {@link org.dfcspark.dfc.rules.BatchTopKRule}, {@link org.dfcspark.dfc.rules.ReluRule}). Rules are stateless; adding
 * one is a class plus one line in its registry. Used by {@code dfc} only (and uses its value types). docs/DESIGN.md
 * "Dedicated Feature Crosscoders".
 */
package org.dfcspark.dfc.rules;
