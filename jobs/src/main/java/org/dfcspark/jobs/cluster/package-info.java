/**
 * What running on a real cluster needs beyond Spark's defaults: {@link org.dfcspark.jobs.cluster.ClusterDefaults}
 * (session settings on {@code spark://}, YARN, k8s), {@link org.dfcspark.jobs.cluster.ClusterPaths} (paths as executors
 * see them), {@link org.dfcspark.jobs.cluster.ShippedJars}, {@link org.dfcspark.jobs.cluster.SparkPropertiesFile},
 * {@link org.dfcspark.jobs.cluster.TaskFailure} (a failed job as one line plus a log),
 * {@link org.dfcspark.jobs.cluster.ResourceWatch} and {@link org.dfcspark.jobs.cluster.LocalCluster} (a standalone
 * cluster on 127.0.0.1 for tests and benches). Used by every stage; depends on no stage. conf/spark-*-cluster.conf;
 * docs/DESIGN.md "Safe on a cluster and against bad input".
 */
package org.dfcspark.jobs.cluster;
