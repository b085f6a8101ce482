/**
 * {@code bin/dfc report}: one self-contained HTML file (no script, no network; charts as inline SVG) over a run's
 * tables. {@link org.dfcspark.jobs.report.ReportJob} (entry), {@link org.dfcspark.jobs.report.RunLayout} (where the
 * sweep summary, store and evaluations are), {@link org.dfcspark.jobs.report.Evaluation} (one evaluation as read),
 * the sections ({@link org.dfcspark.jobs.report.OverviewSection}, {@link org.dfcspark.jobs.report.EffectsSection},
 * {@link org.dfcspark.jobs.report.SteeringSection}, {@link org.dfcspark.jobs.report.DiffingSection},
 * {@link org.dfcspark.jobs.report.FeatureSection}, {@link org.dfcspark.jobs.report.PaperSection}) rendered by
 * {@link org.dfcspark.jobs.report.ReportPage}, what only the models can give ({@link org.dfcspark.jobs.report.EvidenceStage},
 * written as {@link org.dfcspark.jobs.report.ReportTables}) and the plain-text {@link org.dfcspark.jobs.report.Headlines}.
 * It reuses the evaluation's config, protocol, prompt encoder and crosscoder cache ({@code org.dfcspark.jobs.evaluate})
 * so that it renders prompts exactly as the ranking did; nothing depends on it but the experiment and the CLI.
 * Tables: data-schemas/report.md; notebooks/ read the same Parquet; docs/DESIGN.md "Report, feature dashboards and
 * notebooks".
 */
package org.dfcspark.jobs.report;
