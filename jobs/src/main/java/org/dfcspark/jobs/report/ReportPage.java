package org.dfcspark.jobs.report;

import static org.dfcspark.jobs.report.Html.esc;

import java.time.Instant;

/**
 * The report's HTML document: styles inline, no script, no network; charts are inline SVG (the sections render them).
 * Feature pages are hidden sections that show when their anchor is the URL's fragment ({@code :target}).
 */
final class ReportPage {
    private static final String STYLE = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
            header{background:#263238;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cfd8dc}
            nav{position:sticky;top:0;background:#eceff1;padding:6px 24px;border-bottom:1px solid #cfd8dc;z-index:2}nav a{margin-right:16px;color:#1f4e79}
            main{max-width:1280px;margin:0 auto;padding:8px 24px 48px}section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:8px 20px 16px;margin:16px 0;overflow-x:auto}
            h2{font-size:18px;border-bottom:1px solid #eee;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #e0e0e0;padding:3px 7px;text-align:left;vertical-align:top}
            th{background:#f5f5f5}.paper-table{font-size:12.5px}.paper-table td:nth-child(n+7):not(:last-child){white-space:nowrap}
            .note{color:#555;font-size:12.5px}.empty{color:#888;font-style:italic}
            figure{margin:10px 0}figcaption{font-weight:600;font-size:13px;margin-bottom:2px}.pair{display:flex;flex-wrap:wrap;gap:12px}
            svg.chart{max-width:100%;height:auto;font-size:10px;background:#fff}svg .grid{stroke:#eee}svg .zero{stroke:#555}svg .group{stroke:#bbb;stroke-dasharray:2 2}
            svg .tick,svg .cat{fill:#555}svg .axis-label{fill:#333;font-size:11px}svg .group-label{fill:#333;font-weight:600}svg .legend{fill:#333}
            svg .ci{stroke:#333;stroke-width:1.2;fill:none}svg .line{fill:none;stroke-width:2}svg a .mark{cursor:pointer}svg .line,svg .ci,svg .grid,svg .zero{pointer-events:none}svg a:hover .mark{opacity:.7}
            div.legend span{margin-right:14px;font-size:12px}div.legend i{display:inline-block;width:18px;border-top-width:3px;margin-right:4px;vertical-align:middle}
            .verdict{background:#f1f8e9;border:1px solid #c5e1a5;border-radius:6px;padding:4px 14px}.verdict li{margin:3px 0}
            .present{color:#1b5e20;font-weight:700}.partial{color:#e65100;font-weight:700}.absent{color:#b71c1c;font-weight:700}.protocol{color:#555;font-size:12px}
            section{scroll-margin-top:44px}.feature-page{display:none}.feature-page:target{display:block;border:2px solid #ff7f0e}
            .ctx{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;margin:4px 0;padding:3px 6px;border:1px solid #eee;white-space:pre-wrap}
            .ctx-meta{color:#777;margin-right:10px;font-family:system-ui,sans-serif;font-size:11px}.tok{border-radius:2px}.tok.peak{outline:1.5px solid #d62728}
            pre{background:#f5f5f5;padding:8px;font-size:12px;overflow-x:auto}
            """;

    private ReportPage() {}

    static String render(String title, String subtitle, String... sections) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                + "content=\"width=device-width, initial-scale=1\"><title>" + esc(title) + "</title><style>" + STYLE + "</style></head><body>");
        b.append("<header><h1>").append(esc(title)).append("</h1><p>").append(esc(subtitle)).append(" · generated ").append(Instant.now()).append("</p></header>");
        b.append("<nav><a href=\"#paper\">Paper vs ours</a><a href=\"#effects\">Δ<sub>A</sub> / Δ<sub>B</sub></a><a href=\"#steering\">Steering</a>"
                + "<a href=\"#diffing\">Diffing</a><a href=\"#features\">Features</a><a href=\"#overview\">Run overview</a></nav><main>");
        for (String s : sections) b.append(s);
        return b.append("</main></body></html>\n").toString();
    }
}
