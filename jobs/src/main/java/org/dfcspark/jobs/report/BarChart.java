package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.c;
import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grouped bar chart as inline SVG: categories along x (optionally under group headings), one bar per series in each
 * category, an optional 95% interval drawn as a whisker, and an optional link per bar (to a feature page). Every bar
 * is a {@code .mark} element with a tooltip.
 */
final class BarChart {
    /** One bar; {@code lower}/{@code upper} may be null (no whisker), {@code href} may be null (no link). */
    record Bar(String group, String category, String series, double value, Double lower, Double upper, String href, String tooltip) {}

    static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"};
    private static final int LEFT = 56, RIGHT = 12, TOP = 40, PLOT_H = 200, LABELS = 96, MIN_WIDTH = 420;

    private BarChart() {}

    static String svg(String yLabel, List<Bar> all) {
        // an infinite Cohen's d (zero spread in both sets) or a missing value has no height to draw: left out
        List<Bar> bars = all.stream().filter(b -> Double.isFinite(b.value())).map(b -> finite(b.lower()) && finite(b.upper()) ? b
                : new Bar(b.group(), b.category(), b.series(), b.value(), null, null, b.href(), b.tooltip())).toList();
        Map<String, List<Bar>> byCategory = new LinkedHashMap<>();
        List<String> series = new ArrayList<>();
        double min = 0, max = 0;
        for (Bar b : bars) {
            byCategory.computeIfAbsent(b.category(), k -> new ArrayList<>()).add(b);
            if (!series.contains(b.series())) series.add(b.series());
            min = Math.min(min, b.lower() != null ? Math.min(b.lower(), b.value()) : b.value());
            max = Math.max(max, b.upper() != null ? Math.max(b.upper(), b.value()) : b.value());
        }
        ChartAxis axis = new ChartAxis(min, max);
        // few categories spread over the minimum width (so group labels have room), many get the narrowest slot
        int barW = series.size() > 2 ? 12 : 18, narrow = series.size() * barW + 14;
        int slot = Math.max(narrow, Math.min(120, (MIN_WIDTH - LEFT - RIGHT) / Math.max(1, byCategory.size())));
        int width = Math.max(MIN_WIDTH, LEFT + RIGHT + byCategory.size() * slot), height = TOP + PLOT_H + LABELS;
        double y0 = TOP + PLOT_H, y1 = TOP;
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"chart\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" width=\"").append(width)
                .append("\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (double t : axis.ticks) {
            double y = axis.at(t, y0, y1);
            s.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" x2=\"").append(width - RIGHT).append("\" y1=\"").append(c(y)).append("\" y2=\"")
                    .append(c(y)).append("\"/><text class=\"tick\" x=\"").append(LEFT - 4).append("\" y=\"").append(c(y + 4)).append("\" text-anchor=\"end\">")
                    .append(ChartAxis.label(t)).append("</text>");
        }
        double zero = axis.at(0, y0, y1);
        s.append("<text class=\"axis-label\" transform=\"translate(12,").append(TOP + PLOT_H / 2).append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(esc(yLabel)).append("</text>");
        int i = 0;
        String lastGroup = null;
        for (var e : byCategory.entrySet()) {
            double x0 = LEFT + 7 + i * slot + (slot - narrow) / 2.0;
            String group = e.getValue().get(0).group();
            if (group != null && !group.equals(lastGroup)) {
                double xg = LEFT + i * slot;
                s.append("<line class=\"group\" x1=\"").append(c(xg)).append("\" x2=\"").append(c(xg)).append("\" y1=\"").append(TOP - 16)
                        .append("\" y2=\"").append(c(y0)).append("\"/><text class=\"group-label\" x=\"").append(c(xg + 3)).append("\" y=\"").append(TOP - 6)
                        .append("\">").append(esc(group)).append("</text>");
                lastGroup = group;
            }
            for (Bar b : e.getValue()) {
                double x = x0 + series.indexOf(b.series()) * barW, y = axis.at(b.value(), y0, y1);
                double top = Math.min(y, zero), h = Math.max(1, Math.abs(y - zero));
                String rect = "<rect class=\"mark\" x=\"" + c(x) + "\" y=\"" + c(top) + "\" width=\"" + (barW - 2) + "\" height=\"" + c(h) + "\" fill=\""
                        + color(series.indexOf(b.series())) + "\"><title>" + esc(b.tooltip()) + "</title></rect>";
                s.append(b.href() != null ? "<a href=\"#" + esc(b.href()) + "\">" + rect + "</a>" : rect);
                if (b.lower() != null && b.upper() != null) {
                    double xm = x + (barW - 2) / 2.0, lo = axis.at(b.lower(), y0, y1), hi = axis.at(b.upper(), y0, y1);
                    s.append("<path class=\"ci\" d=\"M").append(c(xm)).append(',').append(c(lo)).append("V").append(c(hi)).append("M").append(c(xm - 3))
                            .append(',').append(c(lo)).append("h6M").append(c(xm - 3)).append(',').append(c(hi)).append("h6\"/>");
                }
            }
            double xl = x0 + series.size() * barW / 2.0;
            s.append("<text class=\"cat\" transform=\"translate(").append(c(xl)).append(',').append(c(y0 + 10)).append(") rotate(35)\">")
                    .append(esc(shorten(e.getKey()))).append("<title>").append(esc(e.getKey())).append("</title></text>");
            i++;
        }
        s.append("<line class=\"zero\" x1=\"").append(LEFT).append("\" x2=\"").append(width - RIGHT).append("\" y1=\"").append(c(zero)).append("\" y2=\"")
                .append(c(zero)).append("\"/>");
        s.append(legend(series, width));
        return s.append("</svg>").toString();
    }

    private static boolean finite(Double v) {
        return v != null && Double.isFinite(v);
    }

    static String color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    /** A one-line legend at the top right. */
    static String legend(List<String> series, int width) {
        if (series.size() < 2 && (series.isEmpty() || series.get(0).isEmpty())) return "";
        StringBuilder s = new StringBuilder();
        double x = width - RIGHT;
        for (int i = series.size() - 1; i >= 0; i--) {
            x -= 14 + 7 * series.get(i).length();
            s.append("<rect x=\"").append(c(x)).append("\" y=\"4\" width=\"10\" height=\"10\" fill=\"").append(color(i)).append("\"/><text class=\"legend\" x=\"")
                    .append(c(x + 13)).append("\" y=\"13\">").append(esc(series.get(i))).append("</text>");
        }
        return s.toString();
    }

    private static String shorten(String s) {
        return s.length() <= 22 ? s : s.substring(0, 21) + "…";
    }
}
