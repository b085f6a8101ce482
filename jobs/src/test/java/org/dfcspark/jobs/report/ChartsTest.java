package org.dfcspark.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The inline-SVG charts: what they draw, link and escape (the browser test checks they render). */
class ChartsTest {
    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void aBarChartDrawsEveryFiniteBarLinksFeaturesAndEscapesText() {
        String svg = BarChart.svg("Δ (pp)", List.of(
                new BarChart.Bar("dfc · tied", "<b>cc</b>", "A", 12.5, 2.0, 23.0, null, "A & B"),
                new BarChart.Bar("dfc · tied", "<b>cc</b>", "B", -4.0, null, null, "feature-e-cc-h-3", "b"),
                new BarChart.Bar(null, "inf", "A", Double.POSITIVE_INFINITY, null, null, null, "infinite d")));
        assertEquals(2, count(svg, "class=\"mark\""), "the infinite bar is left out");
        assertEquals(1, count(svg, "<a href=\"#feature-e-cc-h-3\">"));
        assertEquals(1, count(svg, "class=\"ci\""), "one whisker: the bar with an interval");
        assertTrue(svg.contains("&lt;b&gt;cc&lt;/b&gt;") && svg.contains("A &amp; B"));
        assertFalse(svg.contains("NaN") || svg.contains("Infinity"));
    }

    @Test
    void aLineChartDrawsControlsDashedAndTheirPointsBelowTheSteeringPoints() {
        String svg = LineChart.svg("α", "Δ", List.of(
                new LineChart.Series("|S| = 1", 0, false, List.of(new LineChart.Point(1, 0, -1.0, 1.0, "feature-x", "a"),
                        new LineChart.Point(16, 40, 20.0, 60.0, "feature-x", "b"))),
                new LineChart.Series("|S| = 1 control", 0, true, List.of(new LineChart.Point(1, 0, null, null, null, "c"),
                        new LineChart.Point(16, 1, null, null, null, "d")))));
        assertEquals(4, count(svg, "class=\"mark\""));
        assertEquals(1, count(svg, "stroke-dasharray"));
        assertTrue(svg.indexOf("r=\"6\"") < svg.indexOf("<a href=\"#feature-x\">"), "control points first, linked points drawn on top");
    }

    @Test
    void anAxisHasRoundTicksCoveringItsRangeAndZero() {
        ChartAxis a = new ChartAxis(-13, 82.1);
        assertTrue(a.lo <= -13 && a.hi >= 82.1);
        assertTrue(a.ticks.contains(0.0));
        assertEquals(List.of("-20", "0", "20", "40", "60", "80", "100"), a.ticks.stream().map(ChartAxis::label).toList());
        assertEquals("0.8", ChartAxis.label(0.8000000000000002));
    }
}
