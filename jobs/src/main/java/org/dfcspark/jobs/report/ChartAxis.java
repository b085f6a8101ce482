package org.dfcspark.jobs.report;

import java.util.ArrayList;
import java.util.List;

/** A linear value axis with round tick values (steps of 1, 2 or 5 × 10^n) covering [min, max]; always includes 0. */
final class ChartAxis {
    final double lo, hi;
    final List<Double> ticks = new ArrayList<>();

    ChartAxis(double min, double max) {
        min = Math.min(min, 0);
        max = Math.max(max, 0);
        if (!(max > min)) max = min + 1;
        double raw = (max - min) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step;
        double r = raw / mag;
        step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
        lo = Math.floor(min / step) * step;
        hi = Math.ceil(max / step) * step;
        for (double t = lo; t <= hi + step / 2; t += step) ticks.add(Math.abs(t) < step / 1e6 ? 0 : t);
    }

    /** Pixel position of v for a plot from y0 (value lo) to y1 (value hi). */
    double at(double v, double y0, double y1) {
        return y0 + (v - lo) / (hi - lo) * (y1 - y0);
    }

    static String label(double t) {
        if (Math.abs(t - Math.rint(t)) < 1e-9) return String.valueOf((long) Math.rint(t));
        return new java.math.BigDecimal(String.format(java.util.Locale.ROOT, "%.3g", t)).stripTrailingZeros().toPlainString();
    }
}
