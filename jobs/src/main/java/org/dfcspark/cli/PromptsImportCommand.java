package org.dfcspark.cli;

import org.dfcspark.jobs.prompts.PromptsImportJob;
import org.dfcspark.jobs.prompts.PromptsImportJob.FileCounts;
import org.dfcspark.jobs.SparkSessions;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** {@code bin/dfc prompts import}: a prompt source into the prompts table (Parquet) plus its quarantine table. */
public final class PromptsImportCommand implements Command {

    @Override
    public String summary() {
        return "import ToolRL / BFCL / ShareGPT / text prompts into the prompts table (Parquet)";
    }

    @Override
    public String usage() {
        return """
                usage: bin/dfc prompts import --source toolrl|bfcl|sharegpt|text --input PATH --out DIR
                                              [--answers FILE] [--split NAME] [--overwrite]
                  --source     toolrl: ToolRL's RL split (test.parquet or its JSONL dump) or raw SFT json
                               bfcl: BFCL v3/v4 question files (category from the file name)
                               sharegpt: ShareGPT tool-use conversations (LLaMA-Factory's glaive demo)
                               text: plain text corpus, JSONL or Parquet with a 'text' column
                  --input      a file, or a directory: every .json/.jsonl/.parquet file in it
                  --answers    BFCL possible-answer file (default: possible_answer/<name> beside the input)
                  --split      split for rows that do not name one (default train; BFCL rows are always test)
                  --out        writes DIR/prompts and DIR/quarantine (Parquet), DIR/import_summary.json
                  --overwrite  replace an earlier import in DIR
                Schema: data-schemas/prompts.md. Spark master: -Dspark.master (default local[2]).""";
    }

    @Override
    public Set<String> valuedFlags() {
        return Set.of("source", "input", "answers", "out", "split");
    }

    @Override
    public Set<String> switchFlags() {
        return Set.of("overwrite");
    }

    @Override
    public int run(Args args) {
        String source = args.require("source");
        if (!PromptsImportJob.SOURCES.contains(source)) {
            throw new UsageException("--source must be one of " + String.join(", ", PromptsImportJob.SOURCES) + ", got '" + source + "'");
        }
        Path input = Path.of(args.require("input"));
        Path out = Path.of(args.require("out"));
        Path answers = args.has("answers") ? Path.of(args.get("answers")) : null;
        if (answers != null && !source.equals("bfcl")) throw new UsageException("--answers is only for --source bfcl");
        var options = new PromptsImportJob.Options(source, input, answers, out, args.get("split"), args.flag("overwrite"));

        var spark = SparkSessions.get("dfc prompts import");
        List<FileCounts> counts = PromptsImportJob.run(spark, options);
        long prompts = 0, quarantined = 0;
        for (FileCounts c : counts) {
            System.out.printf("%s: %d prompts %s, %d quarantined%n", c.file(), c.prompts(), c.promptsByKind(), c.quarantined());
            prompts += c.prompts();
            quarantined += c.quarantined();
        }
        System.out.printf("total: %d prompts -> %s, %d quarantined -> %s%n", prompts, out.resolve("prompts"),
                quarantined, out.resolve("quarantine"));
        if (prompts == 0) {
            // Nothing usable: say why (the first reason) and fail, so a script does not go on with an empty table.
            System.err.println("dfc prompts import: error: no prompt imported, every one of the " + quarantined + " row(s) was quarantined"
                    + (quarantined == 0 ? "" : "; first: " + PromptsImportJob.firstQuarantineReason(spark, out)));
            return 1;
        }
        return 0;
    }
}
