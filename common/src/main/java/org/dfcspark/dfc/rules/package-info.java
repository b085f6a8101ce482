/**
 * The training objectives and sparsity rules of {@code org.dfcspark.dfc}, one class each, found by name:
 * {@link org.dfcspark.dfc.rules.LossRules} ({@link org.dfcspark.dfc.rules.PaperLoss},
 * {@link org.dfcspark.dfc.rules.ReferenceLoss}, {@link org.dfcspark.dfc.rules.AnthropicLoss}) and
 * {@link org.dfcspark.dfc.rules.SparsityRules} ({@link org.dfcspark.dfc.rules.TopKRule},
 * {@link org.dfcspark.dfc.rules.BatchTopKRule}, {@link org.dfcspark.dfc.rules.ReluRule}). Rules are stateless; adding
 * one is a class plus one line in its registry. A plug-in package of {@code dfc}: {@code CrosscoderConfig} and
 * {@code BatchStep} look rules up here and the rules use {@code dfc}'s value types ({@code SparseCodes},
 * {@code Partition}, {@code CrosscoderConfig}), the one package cycle in the project, kept because the two are one unit.
 * Nothing else uses it. docs/DESIGN.md "Dedicated Feature Crosscoders".
 */
package org.dfcspark.dfc.rules;
