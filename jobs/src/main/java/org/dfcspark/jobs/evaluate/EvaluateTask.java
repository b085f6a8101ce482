package org.dfcspark.jobs.evaluate;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.util.SerializableConfiguration;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.eval.Condition;
import org.dfcspark.eval.ConditionEdits;
import org.dfcspark.eval.ConditionGenerator;
import org.dfcspark.eval.GenerationScores;
import org.dfcspark.jobs.harvest.ExecutorRuntime;
import org.dfcspark.jobs.work.ItemTask;
import org.dfcspark.jobs.work.ParquetRows;
import org.dfcspark.jobs.work.TaskProgress;
import org.dfcspark.jobs.work.WorkQueue;
import org.dfcspark.model.GenerationConfig;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.ModelCache;
import org.dfcspark.model.PrefixCache;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.testing.InjectedFaults;

/**
 * Runs one {@link EvaluationItem} inside a Spark task of its own ({@link WorkQueue}): models from {@link ModelCache}
 * (once per executor), the crosscoder from {@link CrosscoderCache}, every prompt through
 * {@link ConditionGenerator#generate} (prefix reuse; several prompts decoded together), every generation scored by
 * all four scorers. Exactly once like the harvest: the rows go to a hidden temporary Parquet file ({@link ParquetRows}) that is renamed to the item's final
 * name, one file of the generations table ({@link EvaluationItem#file}), and only then does
 * the queue write the done marker this returns (the token counts); an item with a marker is never redone, a killed
 * attempt leaves at most a temporary file (deleted before the next run) or a complete file without marker
 * (rewritten with the same rows).
 */
public final class EvaluateTask implements ItemTask<EvaluationItem> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Token counts of one item (summed over its prompts), from {@link ConditionGenerator.PromptGenerations}. */
    public record Tokens(long forwarded, long naive, long partnerRead) {}

    private final EvaluateOptions o;
    private final String out;
    private final int threads;
    private final SerializableConfiguration conf;
    private final InjectedFaults faults = InjectedFaults.fromSystemProperties(); // read on the driver, where the task is made

    public EvaluateTask(EvaluateOptions o, Path out, int threads, Configuration conf) {
        this.o = o;
        this.out = out.toString();
        this.threads = threads;
        this.conf = new SerializableConfiguration(conf);
    }

    @Override
    public String run(EvaluationItem item, TaskProgress progress) throws IOException {
        TaskContext ctx = TaskContext.get();
        boolean injectFailure = item.shard() == faults.evaluateFailShard() && (ctx == null || ctx.attemptNumber() == 0);
        Device device = ExecutorRuntime.device(ctx);
        ExecutorRuntime.configure(device, threads);
        Qwen2Model a = ModelCache.get(Path.of(o.modelA()), device), b = ModelCache.get(Path.of(o.modelB()), device);
        Crosscoder cc = CrosscoderCache.get(item.target().dir(), o.protocol());
        List<Condition> conditions = new ArrayList<>();
        for (PlannedCondition p : item.conditions()) conditions.add(p.condition());
        long[] tokens = new long[3]; // forwarded, naive, partner read
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(item.file(Path.of(out)).toUri());
        try (PromptEncoder enc = new PromptEncoder(Path.of(o.modelB()), o.protocol())) {
            GenerationConfig cfg = GenerationConfig.forModel(Path.of(o.modelB()), o.maxNewTokens());
            ConditionEdits edits = new ConditionEdits(cc, a.config().hiddenSize(), item.toolMean(), threads);
            ConditionGenerator gen = new ConditionGenerator(a, b, HookPoint.parse(item.target().hook()), edits, cfg, enc::decode, PrefixCache.shared());
            int longest = 0;
            for (int[] ids : item.promptIds()) longest = Math.max(longest, ids.length);
            int perBatch = gen.promptsPerBatch(conditions, longest); // several prompts' rows decode together
            ParquetRows.write(file, EvaluationTables.GENERATIONS, conf.value(), w -> {
                for (int from = 0; from < item.prompts().size(); from += perBatch) {
                    int to = Math.min(item.prompts().size(), from + perBatch);
                    ConditionGenerator.PromptGenerations pg = gen.generate(item.promptIds().subList(from, to), conditions);
                    tokens[0] += pg.tokensForwarded();
                    tokens[1] += pg.naiveTokensForwarded();
                    tokens[2] += pg.partnerTokensRead();
                    for (int i = from; i < to; i++) {
                        PromptRecord r = item.prompts().get(i);
                        for (int c = 0; c < conditions.size(); c++) {
                            ConditionGenerator.Generation g = pg.generations().get((i - from) * conditions.size() + c);
                            w.write(ParquetRows.fromJson(row(item, o, item.conditions().get(c), r, item.firstPrompt() + i, g), EvaluationTables.GENERATIONS));
                        }
                    }
                    progress.add("prompts", to - from);
                    if (injectFailure) { // test hook: die with part of the rows written, before the file is published
                        throw new IllegalStateException("injected failure in evaluation item " + item.id() + " (first attempt, after one batch of prompts)");
                    }
                }
            });
        }
        return JSON.writeValueAsString(JSON.createObjectNode().put("prompts", item.prompts().size()).put("tokens_forwarded", tokens[0])
                .put("naive_tokens_forwarded", tokens[1]).put("partner_tokens_read", tokens[2]));
    }

    /** A done item's token counts, from its marker. */
    public static Tokens tokens(String markerJson) throws IOException {
        var m = JSON.readTree(markerJson);
        return new Tokens(m.get("tokens_forwarded").asLong(), m.get("naive_tokens_forwarded").asLong(), m.get("partner_tokens_read").asLong());
    }

    /** One generation as a row of {@link EvaluationTables#GENERATIONS}; the condition as typed columns. */
    private static ObjectNode row(EvaluationItem item, EvaluateOptions o, PlannedCondition p, PromptRecord r, int index,
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
