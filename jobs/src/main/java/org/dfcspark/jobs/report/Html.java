package org.dfcspark.jobs.report;

import java.util.List;
import java.util.Locale;

/** Escaping and number formatting for the report's HTML and SVG. */
final class Html {
    private Html() {}

    static String esc(Object o) {
        if (o == null) return "";
        String s = o.toString();
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Signed percentage points with one decimal: {@code +31.1}; "–" for null. */
    static String pp(Double v) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%+.1f", v);
    }

    /** A value with its 95% interval: {@code +65.0 [+47.9, +82.1]}. */
    static String ppCi(Double v, Double lo, Double hi) {
        if (v == null || v.isNaN()) return "–";
        return lo == null || hi == null ? pp(v) : pp(v) + " [" + pp(lo) + ", " + pp(hi) + "]";
    }

    /** Mean ± SD: {@code +31.1 ± 9.7}. */
    static String ppSd(Double mean, Double sd) {
        if (mean == null || mean.isNaN()) return "–";
        return sd == null || sd.isNaN() ? pp(mean) : pp(mean) + " ± " + String.format(Locale.ROOT, "%.1f", sd);
    }

    static String num(Double v, int decimals) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** SVG coordinates: two decimals are plenty. */
    static String c(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** A table with a header row; cells are HTML already (escape text before). */
    static String table(String cssClass, List<String> header, List<List<String>> rows) {
        StringBuilder b = new StringBuilder("<table class=\"" + cssClass + "\"><thead><tr>");
        for (String h : header) b.append("<th>").append(h).append("</th>");
        b.append("</tr></thead><tbody>");
        for (List<String> r : rows) {
            b.append("<tr>");
            for (String cell : r) b.append("<td>").append(cell).append("</td>");
            b.append("</tr>");
        }
        return b.append("</tbody></table>").toString();
    }

    static String link(String anchor, String text) {
        return "<a href=\"#" + esc(anchor) + "\">" + esc(text) + "</a>";
    }
}
