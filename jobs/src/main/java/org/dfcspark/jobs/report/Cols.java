package org.dfcspark.jobs.report;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;

/** Tolerant reads of table cells: a missing column or a null cell is null, so older or partial tables still render. */
final class Cols {
    private Cols() {}

    static boolean has(Row r, String column) {
        return r.schema() != null && Arrays.asList(r.schema().fieldNames()).contains(column);
    }

    static Object get(Row r, String column) {
        return has(r, column) ? r.getAs(column) : null;
    }

    static Double dbl(Row r, String column) {
        Object v = get(r, column);
        return v instanceof Number n ? n.doubleValue() : null;
    }

    static Integer integer(Row r, String column) {
        Object v = get(r, column);
        return v instanceof Number n ? n.intValue() : null;
    }

    static String str(Row r, String column) {
        Object v = get(r, column);
        return v == null ? null : v.toString();
    }

    static Boolean bool(Row r, String column) {
        return get(r, column) instanceof Boolean b ? b : null;
    }

    static List<Integer> ints(Row r, String column) {
        if (!has(r, column) || r.isNullAt(r.fieldIndex(column))) return null;
        return r.getList(r.fieldIndex(column));
    }

    /** Equal, nulls included. */
    static boolean is(Row r, String column, Object value) {
        return java.util.Objects.equals(get(r, column), value);
    }
}
