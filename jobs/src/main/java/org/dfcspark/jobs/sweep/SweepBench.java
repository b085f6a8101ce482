package org.dfcspark.jobs.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.dfc.sweep.SweepGrid;

/**
 * {@code bin/dfc bench sweep}: the same grid trained twice on this master, in lockstep (variants of a task share one
 * read of the store) and with one variant per read (each its own task), each into a fresh directory; prints the wall
 * time and variants per hour of each and their ratio.
 */
public final class SweepBench {
    private SweepBench() {}

    public record Result(int variants, double lockstepSeconds, double separateSeconds) {
        double ratio() {
            return separateSeconds / lockstepSeconds;
        }
    }

    public static Result run(SparkSession spark, SweepGrid grid, Set<String> only, Path work, PrintStream out) throws IOException {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        SweepJob.Outcome lockstep = SweepJob.run(spark, grid.with(Map.of("sweep.lockstep", "true")), work.resolve("lockstep"), only, false, 60, quiet);
        report(out, "lockstep (one read per task)", lockstep);
        SweepJob.Outcome separate = SweepJob.run(spark, grid.with(Map.of("sweep.lockstep", "false")), work.resolve("separate"), only, false, 60, quiet);
        report(out, "one variant per read", separate);
        Result r = new Result(lockstep.variants(), lockstep.seconds(), separate.seconds());
        out.printf(Locale.ROOT, "lockstep / one variant per read: %.2fx variants per hour (%d variants on %s)%n", r.ratio(), r.variants(),
                spark.sparkContext().master());
        return r;
    }

    private static void report(PrintStream out, String what, SweepJob.Outcome o) {
        if (o.finished() != o.variants()) throw new IllegalStateException(what + ": only " + o.finished() + " of " + o.variants() + " variants finished");
        out.printf(Locale.ROOT, "%-30s %3d variants in %7.1f s: %6.0f variants/hour%n", what, o.variants(), o.seconds(), o.variants() * 3600 / o.seconds());
    }
}
