/**
 * Local-file output and input helpers shared by every layer: {@link org.dfcspark.io.AtomicOutput} is the one way a
 * local file or directory is published (written beside the target, renamed into place, 0644/0755, stale temporaries
 * cleaned), {@link org.dfcspark.io.OutputDirs} checks an output place before any work, {@link org.dfcspark.io.Utf8Lines}
 * reads lines as strict UTF-8 and {@link org.dfcspark.io.ParquetFiles} recognises Parquet input. Paths on a Hadoop file
 * system (what Spark tasks write: HDFS, S3, local through Hadoop) need Hadoop's rename and have their own helper,
 * {@code org.dfcspark.jobs.work.HadoopFiles}. Depends on nothing else of the project. docs/DESIGN.md "Safe on a cluster
 * and against bad input".
 */
package org.dfcspark.io;
