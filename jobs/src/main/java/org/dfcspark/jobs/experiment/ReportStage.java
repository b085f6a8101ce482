package org.dfcspark.jobs.experiment;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The seam for the report job ({@code bin/dfc report --run DIR --out FILE.html}), which lives on another branch: an
 * implementation registered in {@code META-INF/services/org.dfcspark.jobs.experiment.ReportStage} is found with
 * {@link java.util.ServiceLoader}. Without one the experiment's report stage is recorded as
 * {@value #NOT_AVAILABLE}; nothing is faked.
 */
public interface ReportStage {
    String NOT_AVAILABLE = "skipped: report job not available";

    /**
     * Writes the self-contained HTML report of the run directory {@code runDir} (its {@code harvest/}, {@code sweep/} and
     * {@code evaluation/PROTOCOL/} outputs) to {@code reportHtml}, with the experiment's {@code report { }} block.
     */
    void write(SparkSession spark, Path runDir, Path reportHtml, Config settings, PrintStream log) throws Exception;

    /** The registered report job, or null. */
    static ReportStage find() {
        return java.util.ServiceLoader.load(ReportStage.class).findFirst().orElse(null);
    }
}
