/**
 * {@code bin/dfc}: {@link org.dfcspark.cli.Main} registers one {@link org.dfcspark.cli.Command} per subcommand
 * ({@link org.dfcspark.cli.HarvestCommand}, {@link org.dfcspark.cli.TrainCommand}, {@link org.dfcspark.cli.SweepCommand},
 * {@link org.dfcspark.cli.EvaluateCommand}, {@link org.dfcspark.cli.ReportCommand},
 * {@link org.dfcspark.cli.ExperimentCommand}, {@link org.dfcspark.cli.DemoCommand}, the model, crosscoder, scoring,
 * organism and bench commands). A command parses flags ({@code org.dfcspark.jobs.options.Args}) and calls a job or the
 * library; the work is never here. The top layer: {@code cli -> jobs -> common}, nothing depends on it (LayeringTest).
 * README lists the commands; docs/ARCHITECTURE.md is the map.
 */
package org.dfcspark.cli;
