package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.c;
import static org.dfcspark.jobs.report.Html.esc;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Curves as inline SVG: Δ against a setting (α, |S|), one polyline per series with 95% whiskers; the x values are
 * spaced evenly in sorted order (α ∈ {1, 6, 16, 32, 64} reads better that way than on a linear axis). Controls are
 * drawn dashed in their steering curve's colour. Every point is a {@code .mark}; a point may link to a feature page.
 */
final class LineChart {
    record Point(double x, double y, Double lower, Double upper, String href, String tooltip) {}

    record Series(String name, int color, boolean dashed, List<Point> points) {}

    private static final int LEFT = 56, RIGHT = 12, TOP = 24, PLOT_H = 200, BOTTOM = 40;

    private LineChart() {}

    static String svg(String xLabel, String yLabel, List<Series> series) {
        TreeSet<Double> xs = new TreeSet<>();
        double min = 0, max = 0;
        for (Series s : series) {
            for (Point p : s.points()) {
                xs.add(p.x());
                min = Math.min(min, p.lower() != null ? Math.min(p.lower(), p.y()) : p.y());
                max = Math.max(max, p.upper() != null ? Math.max(p.upper(), p.y()) : p.y());
            }
        }
        List<Double> xList = new ArrayList<>(xs);
        ChartAxis axis = new ChartAxis(min, max);
        int width = Math.max(420, LEFT + RIGHT + 70 * xList.size()), height = TOP + PLOT_H + BOTTOM;
        double y0 = TOP + PLOT_H, y1 = TOP, step = (width - LEFT - RIGHT) / (double) Math.max(1, xList.size());
        StringBuilder s = new StringBuilder("<svg class=\"chart\" viewBox=\"0 0 " + width + " " + height + "\" width=\"" + width
                + "\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (double t : axis.ticks) {
            double y = axis.at(t, y0, y1);
            s.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" x2=\"").append(width - RIGHT).append("\" y1=\"").append(c(y)).append("\" y2=\"")
                    .append(c(y)).append("\"/><text class=\"tick\" x=\"").append(LEFT - 4).append("\" y=\"").append(c(y + 4)).append("\" text-anchor=\"end\">")
                    .append(ChartAxis.label(t)).append("</text>");
        }
        double zero = axis.at(0, y0, y1);
        s.append("<line class=\"zero\" x1=\"").append(LEFT).append("\" x2=\"").append(width - RIGHT).append("\" y1=\"").append(c(zero)).append("\" y2=\"")
                .append(c(zero)).append("\"/>");
        for (int i = 0; i < xList.size(); i++) {
            s.append("<text class=\"tick\" x=\"").append(c(LEFT + (i + 0.5) * step)).append("\" y=\"").append(c(y0 + 16)).append("\" text-anchor=\"middle\">")
                    .append(ChartAxis.label(xList.get(i))).append("</text>");
        }
        s.append("<text class=\"axis-label\" x=\"").append(c(LEFT + (width - LEFT - RIGHT) / 2.0)).append("\" y=\"").append(height - 6)
                .append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>");
        s.append("<text class=\"axis-label\" transform=\"translate(12,").append(TOP + PLOT_H / 2).append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(esc(yLabel)).append("</text>");
        // lines and whiskers first, then the controls' points, then the steering points on top (they carry the links)
        for (Series ser : series) {
            String color = BarChart.color(ser.color());
            StringBuilder path = new StringBuilder();
            for (Point p : sorted(ser)) {
                double x = LEFT + (xList.indexOf(p.x()) + 0.5) * step, y = axis.at(p.y(), y0, y1);
                path.append(path.length() == 0 ? "M" : "L").append(c(x)).append(',').append(c(y));
                if (p.lower() != null && p.upper() != null) {
                    s.append("<path class=\"ci\" stroke=\"").append(color).append("\" d=\"M").append(c(x)).append(',').append(c(axis.at(p.lower(), y0, y1)))
                            .append("V").append(c(axis.at(p.upper(), y0, y1))).append("\"/>");
                }
            }
            s.append("<path class=\"line\" d=\"").append(path).append("\" stroke=\"").append(color).append('"')
                    .append(ser.dashed() ? " stroke-dasharray=\"5 4\"" : "").append("/>");
        }
        for (boolean dashed : new boolean[] {true, false}) {
            for (Series ser : series) {
                if (ser.dashed() != dashed) continue;
                String color = BarChart.color(ser.color());
                for (Point p : sorted(ser)) {
                    double x = LEFT + (xList.indexOf(p.x()) + 0.5) * step, y = axis.at(p.y(), y0, y1);
                    String dot = "<circle class=\"mark\" cx=\"" + c(x) + "\" cy=\"" + c(y) + "\" r=\"" + (dashed ? 6 : 4) + "\" fill=\"" + (dashed ? "#fff" : color)
                            + "\" stroke=\"" + color + "\"><title>" + esc(ser.name() + ": " + p.tooltip()) + "</title></circle>";
                    s.append(p.href() != null ? "<a href=\"#" + esc(p.href()) + "\">" + dot + "</a>" : dot);
                }
            }
        }
        s.append("</svg>");
        return s + legend(series);
    }

    private static List<Point> sorted(Series s) {
        List<Point> pts = new ArrayList<>(s.points());
        pts.sort((p, q) -> Double.compare(p.x(), q.x()));
        return pts;
    }

    /** The legend as HTML under the chart (series names can be long). */
    private static String legend(List<Series> series) {
        StringBuilder b = new StringBuilder("<div class=\"legend\">");
        for (Series s : series) {
            b.append("<span><i style=\"border-color:").append(BarChart.color(s.color())).append(";border-style:").append(s.dashed() ? "dashed" : "solid")
                    .append("\"></i>").append(esc(s.name())).append("</span>");
        }
        return b.append("</div>").toString();
    }
}
