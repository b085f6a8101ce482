package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.eval.Condition;
import org.dfcspark.eval.ConditionEdits;
import org.dfcspark.eval.ConditionGenerator;
import org.dfcspark.eval.GenerationScores;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.Qwen2Model;

/**
 * Runs one {@link WorkItem} inside a Spark task: models from {@link ModelCache} (once per executor), the crosscoder
 * from {@link CrosscoderCache}, every prompt through {@link ConditionGenerator#generate} (prefix reuse), every
 * generation scored by all four scorers. Exactly once like the harvest: the rows go to a hidden temporary file that
 * is renamed to the item's final name, and only then is the done marker written; an item with a marker is never
 * redone, a killed attempt leaves at most a temporary file (deleted by the next attempt) or a complete file
 * without marker (rewritten with the same rows).
 */
public final class EvaluateTask {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Token counts of one item (summed over its prompts), from {@link ConditionGenerator.PromptGenerations}. */
    public record Tokens(long forwarded, long naive, long partnerRead) {}

    private EvaluateTask() {}

    public static void run(WorkItem item, EvaluateOptions o, String out, int threads) throws IOException {
        Path root = Path.of(out);
        if (Files.exists(item.marker(root))) return;
        Device device = ExecutorRuntime.device(TaskContext.get());
        ExecutorRuntime.configure(device, threads);
        Qwen2Model a = ModelCache.get(Path.of(o.modelA()), device), b = ModelCache.get(Path.of(o.modelB()), device);
        Crosscoder cc = CrosscoderCache.get(item.target().dir(), o.protocol());
        List<Condition> conditions = new ArrayList<>();
        for (PlannedCondition p : item.conditions()) conditions.add(p.condition());
        long forwarded = 0, naive = 0, read = 0;
        Path dir = item.dir(root);
        Files.createDirectories(dir);
        // one temporary name per attempt: a speculative copy never writes into another attempt's file
        TaskContext ctx = TaskContext.get();
        String attempt = ctx == null ? "driver" : Long.toString(ctx.taskAttemptId());
        Path tmp = dir.resolve("." + item.file(root).getFileName() + ".tmp-" + attempt);
        try (PromptEncoder enc = new PromptEncoder(Path.of(o.modelB()), o.protocol());
             BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            GenerationConfig cfg = GenerationConfig.forModel(Path.of(o.modelB()), o.maxNewTokens());
            ConditionEdits edits = new ConditionEdits(cc, a.config().hiddenSize(), item.toolMean(), threads);
            ConditionGenerator gen = new ConditionGenerator(a, b, HookPoint.parse(item.target().hook()), edits, cfg, enc::decode);
            for (int i = 0; i < item.prompts().size(); i++) {
                PromptRecord r = item.prompts().get(i);
                ConditionGenerator.PromptGenerations pg = gen.generate(enc.encode(r), conditions);
                forwarded += pg.tokensForwarded();
                naive += pg.naiveTokensForwarded();
                read += pg.partnerTokensRead();
                for (int c = 0; c < conditions.size(); c++) {
                    ConditionGenerator.Generation g = pg.generations().get(c);
                    w.write(JSON.writeValueAsString(row(item, o, item.conditions().get(c), r, item.firstPrompt() + i, g)));
                    w.write('\n');
                }
            }
        }
        Files.move(tmp, item.file(root), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        ObjectNode m = JSON.createObjectNode().put("prompts", item.prompts().size()).put("tokens_forwarded", forwarded)
                .put("naive_tokens_forwarded", naive).put("partner_tokens_read", read);
        Path mtmp = dir.resolve("." + item.marker(root).getFileName() + ".tmp-" + attempt);
        Files.writeString(mtmp, JSON.writeValueAsString(m));
        Files.move(mtmp, item.marker(root), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes the temporary files that killed attempts left in a pending item's directory. */
    public static void deleteLeftovers(WorkItem item, Path out) throws IOException {
        Path dir = item.dir(out);
        if (!Files.isDirectory(dir)) return;
        String prefix = "." + item.file(out).getFileName() + ".tmp-", markerPrefix = "." + item.marker(out).getFileName() + ".tmp-";
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(prefix) || name.startsWith(markerPrefix)) Files.deleteIfExists(p);
            }
        }
    }

    /** A done item's token counts. */
    public static Tokens tokens(WorkItem item, Path out) throws IOException {
        var m = JSON.readTree(item.marker(out).toFile());
        return new Tokens(m.get("tokens_forwarded").asLong(), m.get("naive_tokens_forwarded").asLong(), m.get("partner_tokens_read").asLong());
    }

    /** One generation as a row of {@link EvaluationTables#GENERATIONS}; the condition as typed columns. */
    private static ObjectNode row(WorkItem item, EvaluateOptions o, PlannedCondition p, PromptRecord r, int index,
                                  ConditionGenerator.Generation g) {
        ObjectNode n = JSON.createObjectNode();
        n.put("crosscoder", item.target().crosscoder()).put("hook", item.target().hook()).put("protocol", o.protocol().id())
                .put("experiment", p.experiment());
        ConditionColumns.put(n, p.condition());
        n.put("prompt_id", r.id()).put("prompt_index", index);
        ints(n.putArray("prompt_ids"), g.promptIds());
        ints(n.putArray("generated_ids"), g.generatedIds());
        n.put("text", g.text());
        GenerationScores s = GenerationScores.of(r, g.text());
        n.put("strict_correct", s.strictCorrect()).put("strict_error_type", s.strictErrorType())
                .put("paper_format", s.paperFormat()).put("paper_tool_correct", s.paperToolCorrect()).put("paper_overall", s.paperOverall())
                .put("toolrl_score", s.toolrlScore()).put("toolrl_format", s.toolrlFormat()).put("toolrl_correctness", s.toolrlCorrectness())
                .put("toolrl_correct", s.toolrlCorrect()).put("bfcl_valid", s.bfclValid()).put("bfcl_error_type", s.bfclErrorType());
        return n;
    }

    private static void ints(ArrayNode a, int[] v) {
        for (int x : v) a.add(x);
    }
}
