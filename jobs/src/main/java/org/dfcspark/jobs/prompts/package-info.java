/**
 * The prompts stage: {@link org.dfcspark.jobs.prompts.PromptsImportJob} ({@code bin/dfc prompts import}: a source's
 * files into the prompts table, its quarantine table and an import summary, the conversion done by
 * {@code org.dfcspark.data}'s converters inside Spark tasks), {@link org.dfcspark.jobs.prompts.PromptsTable} (the
 * tables' Spark schema, row conversion, validator and local reader, used by every stage that reads prompts) and
 * {@link org.dfcspark.jobs.prompts.OrganismTables} (the organism's prompts tables as single Parquet files). Depends on
 * no other stage. Schema: data-schemas/prompts.md; docs/DESIGN.md "Prompts table, readers and rendering".
 */
package org.dfcspark.jobs.prompts;
