/**
 * The Spark layer: one sub-package per stage ({@code prompts}, {@code harvest}, {@code train}, {@code sweep},
 * {@code evaluate}, {@code report}) and {@code experiment} over them, all on the exactly-once work items of
 * {@code work}, with {@code cluster} and {@code options} beside. Here only what every stage shares:
 * {@link org.dfcspark.jobs.SparkSessions} (the one way a job gets its SparkSession) and
 * {@link org.dfcspark.jobs.PythonReference} (runs a {@code tools/reference/} script for the benches). Nothing here or
 * below may use {@code org.dfcspark.cli} (LayeringTest). docs/ARCHITECTURE.md is the map.
 */
package org.dfcspark.jobs;
