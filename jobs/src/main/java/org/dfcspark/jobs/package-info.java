/**
 * The Spark layer's shared entry points and the prompts stage: {@link org.dfcspark.jobs.SparkSessions} (the one way a
 * job gets its SparkSession), {@link org.dfcspark.jobs.PromptsImportJob} ({@code bin/dfc prompts import}: a source's
 * files into the prompts table and its quarantine table), {@link org.dfcspark.jobs.PromptsTable} (their Spark schema
 * and validator), {@link org.dfcspark.jobs.OrganismTables} (the organism's prompts tables as Parquet) and
 * {@link org.dfcspark.jobs.PythonReference} (runs a {@code tools/reference/} script for the benches). One sub-package per
 * stage (harvest, train, sweep, evaluate, report) and the experiment over them, all on {@code org.dfcspark.jobs.work};
 * nothing here or below may use {@code org.dfcspark.cli} (LayeringTest). Schema: data-schemas/prompts.md;
 * docs/ARCHITECTURE.md is the map.
 */
package org.dfcspark.jobs;
