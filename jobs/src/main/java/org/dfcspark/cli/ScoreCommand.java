package org.dfcspark.cli;

import org.dfcspark.io.AtomicOutput;
import org.dfcspark.io.Utf8Lines;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;
import org.dfcspark.toolcall.RecordScorer;
import org.dfcspark.py.PyError;
import org.dfcspark.py.PythonJson;
import org.dfcspark.toolcall.stats.Interval;
import org.dfcspark.toolcall.stats.RateStats;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code bin/dfc score}: scores a JSONL file line by line with one scorer; each output line is the input
 * record plus the verdict fields (data-schemas/scoring.md). A malformed line becomes an error record
 * ({@code line}, {@code error}, and the input fields or the raw text) and the rest are still scored.
 */
public final class ScoreCommand implements Command {

    @Override
    public String summary() {
        return "score model outputs with the paper / toolrl / bfcl / strict scorer (JSONL in, JSONL out)";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: bin/dfc score --scorer paper|toolrl|bfcl|strict --input FILE.jsonl --out OUT.jsonl",
                "",
                "  --scorer  paper   the seed paper's score_response (fields: prompt, response)",
                "            toolrl  ToolRL's rule reward, training default (fields: solution_str, ground_truth, [env])",
                "            bfcl    BFCL's AST checker with Qwen hermes decoding (fields: category, functions,",
                "                    possible_answer, model_result_raw, [underscore_to_dot])",
                "            strict  our strict scorer (fields: output, gold, gold_kind, [tools])",
                "  --input   JSONL, one record per line (see data-schemas/scoring.md)",
                "  --out     JSONL: each input record plus the scorer's fields; malformed lines get",
                "            {line, error, ...} records; written atomically",
                "",
                "Prints the number of records scored and the scorer's headline rate with a Wilson 95% interval.");
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("scorer", "input", "out");
    }

    @Override
    public int run(Args args) throws IOException {
        String scorer = args.require("scorer");
        if (!RecordScorer.SCORERS.contains(scorer)) {
            throw new UsageException("--scorer must be one of " + String.join(", ", RecordScorer.SCORERS) + ", got '" + scorer + "'");
        }
        Path input = Path.of(args.require("input"));
        Path out = Path.of(args.require("out"));
        if (!Files.isRegularFile(input)) throw new IOException("cannot read input " + input + ": no such file");

        Tally tally = new Tally(scorer);
        // Written beside --out and renamed into place; a killed run's temporary file is removed by the next run.
        AtomicOutput.writeFile(out, tmp -> {
            try (Utf8Lines in = new Utf8Lines(input); BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Utf8Lines.Line line = in.next(); line != null; line = in.next()) {
                    Map<String, Object> record;
                    if (line.error() != null) record = tally.error(line.number(), input, line.error(), Map.of());
                    else if (line.text().isBlank()) {
                        tally.blank++;
                        continue;
                    } else record = scoreLine(scorer, line.text(), line.number(), input, tally);
                    w.write(PythonJson.dumps(record));
                    w.newLine();
                }
            }
        });
        tally.print(out);
        if (tally.scored == 0 && tally.errors > 0) {
            // Every line was malformed: the output holds only error records, nothing a user can use.
            System.err.println("dfc score: error: none of the " + tally.errors + " non-blank line(s) of " + input
                    + " could be scored (error records written to " + out + ")");
            return 1;
        }
        return 0;
    }

    private static Map<String, Object> scoreLine(String scorer, String line, int lineNo, Path input, Tally tally) {
        Map<String, Object> record;
        try {
            Object parsed = PythonJson.loads(line);
            if (!(parsed instanceof Map)) {
                return tally.error(lineNo, input, "not a JSON object", Map.of("raw", line));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) parsed;
            record = new LinkedHashMap<>(obj);
        } catch (PyError e) {
            return tally.error(lineNo, input, "invalid JSON: " + e.getMessage(), Map.of("raw", line));
        }
        try {
            Map<String, Object> fields = RecordScorer.score(scorer, record);
            record.putAll(fields);
            tally.count(fields);
            return record;
        } catch (IllegalArgumentException | ClassCastException e) {
            return tally.error(lineNo, input, e.getMessage(), record);
        }
    }

    /** Counts for the closing summary. */
    private static final class Tally {
        final String scorer;
        long scored;
        long errors;
        long blank;
        long positives;
        long raised;
        double scoreSum;
        String firstError;

        Tally(String scorer) {
            this.scorer = scorer;
        }

        Map<String, Object> error(int lineNo, Path input, String message, Map<String, Object> rest) {
            errors++;
            if (firstError == null) firstError = input + " line " + lineNo + ": " + message;
            Map<String, Object> rec = new LinkedHashMap<>(rest);
            rec.put("line", (long) lineNo);
            rec.put("error", message);
            return rec;
        }

        void count(Map<String, Object> f) {
            scored++;
            if (f.containsKey("raises")) {
                raised++;
                return;
            }
            switch (scorer) {
                case "paper" -> {
                    if (Boolean.TRUE.equals(f.get("tool_correctness"))) positives++;
                    scoreSum += ((Number) f.get("overall_score")).doubleValue();
                }
                case "toolrl" -> scoreSum += ((Number) f.get("score")).doubleValue();
                case "bfcl" -> {
                    if (Boolean.TRUE.equals(f.get("valid"))) positives++;
                }
                default -> {
                    if (Boolean.TRUE.equals(f.get("correct"))) positives++;
                }
            }
        }

        void print(Path out) {
            System.out.printf(Locale.ROOT, "score --scorer %s: %d record(s) scored, %d malformed, %d blank -> %s%n",
                    scorer, scored, errors, blank, out);
            long n = scored - raised;
            if (raised > 0) System.out.printf(Locale.ROOT, "  %d record(s) where the original scorer raises%n", raised);
            if (n > 0) {
                switch (scorer) {
                    case "paper" -> System.out.printf(Locale.ROOT, "  tool_correctness %s, mean overall_score %.4f%n",
                            rate(positives, n), scoreSum / n);
                    case "toolrl" -> System.out.printf(Locale.ROOT, "  mean score %.4f%n", scoreSum / n);
                    case "bfcl" -> System.out.printf(Locale.ROOT, "  valid %s%n", rate(positives, n));
                    default -> System.out.printf(Locale.ROOT, "  correct %s%n", rate(positives, n));
                }
            }
            if (errors > 0) System.err.println("dfc score: warning: " + errors + " malformed line(s); first: " + firstError);
        }

        private static String rate(long k, long n) {
            Interval i = RateStats.wilson(k, n).scaled(100);
            return String.format(Locale.ROOT, "%d/%d = %.1f%% [%.1f, %.1f]", k, n, i.estimate(), i.lower(), i.upper());
        }
    }
}
