/**
 * The statistics of the results tables: success rates with Wilson intervals ({@link org.dfcspark.toolcall.stats.RateStats}),
 * paired differences on the same prompts with Student-t intervals ({@link org.dfcspark.toolcall.stats.PairedDifference},
 * {@link org.dfcspark.toolcall.stats.StudentT}), an {@link org.dfcspark.toolcall.stats.Interval}, and mean ± sample std
 * across runs ({@link org.dfcspark.toolcall.stats.MeanStd}, how the paper reports its sweep). Depends on nothing else of
 * the project. data-schemas/evaluation.md (the columns they fill); docs/DESIGN.md "Tool-call parsing, scoring and
 * statistics".
 */
package org.dfcspark.toolcall.stats;
