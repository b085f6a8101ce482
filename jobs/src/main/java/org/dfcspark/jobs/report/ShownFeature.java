package org.dfcspark.jobs.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.dfcspark.jobs.evaluate.EvaluationTarget;

/**
 * A feature the report gives a dashboard: one of the top {@link #PER_PARTITION} tool-signed features (Cohen's d > 0,
 * the evaluation's ranking) of its partition, for one crosscoder at one hook of one evaluation.
 */
public record ShownFeature(String evaluation, String protocol, String crosscoder, String hook, String partition, int feature, int rank, double cohensD,
                           double auroc, double meanTool, double meanGeneric) {
    /** Dashboards per partition (the issue asks for at least the top 10). */
    public static final int PER_PARTITION = 10;

    /** The feature page's anchor: unique per evaluation, crosscoder, hook and feature. */
    public String anchor() {
        return anchor(evaluation, crosscoder, hook, feature);
    }

    public static String anchor(String evaluation, String crosscoder, String hook, int feature) {
        return ("feature-" + evaluation + "-" + crosscoder + "-" + hook + "-" + feature).replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** The shown features of one target, from the evaluation's features table, partition by partition in rank order. */
    public static List<ShownFeature> of(Evaluation e, EvaluationTarget t) {
        List<ShownFeature> out = new ArrayList<>();
        for (Row r : e.features()) {
            if (!Cols.is(r, "crosscoder", t.crosscoder()) || !Cols.is(r, "hook", t.hook())) continue;
            double d = Cols.dbl(r, "cohens_d");
            int rank = Cols.integer(r, "rank");
            if (d > 0 && rank <= PER_PARTITION) {
                out.add(new ShownFeature(e.name(), e.protocol(), t.crosscoder(), t.hook(), Cols.str(r, "partition"), Cols.integer(r, "feature"), rank, d,
                        Cols.dbl(r, "auroc"), Cols.dbl(r, "mean_tool"), Cols.dbl(r, "mean_generic")));
            }
        }
        out.sort(Comparator.comparing((ShownFeature f) -> partitionOrder(f.partition())).thenComparingInt(ShownFeature::rank));
        return out;
    }

    static int partitionOrder(String partition) {
        return switch (partition) {
            case "a_exclusive" -> 0;
            case "b_exclusive" -> 1;
            case "shared" -> 2;
            default -> 3;
        };
    }
}
