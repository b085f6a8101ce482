package org.dfcspark.jobs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.data.PromptTableJson;
import org.dfcspark.jobs.harvest.HarvestFixture;

/**
 * A stand-in for the model organism, laid out as data/organism: {@code base} = the bundled qwen2-tiny, {@code rl} = the
 * same with every weight perturbed (both with the tiny BPE tokenizer), and short synthetic prompts tables (tool
 * requests as JSON Lines, generic chats as a Parquet prompts table). Random weights: it proves plumbing, not science.
 */
public final class DiffFixture {
    private DiffFixture() {}

    public static Path organism(SparkSession spark, Path dir) throws IOException {
        HarvestFixture.modelDir(dir, "base", 0, 0);
        HarvestFixture.modelDir(dir, "rl", 0.05, 1);
        Path prompts = dir.resolve("prompts");
        PromptTableJson.write(prompts.resolve("tool-train.jsonl"), toolPrompts("train", 0, 30));
        PromptTableJson.write(prompts.resolve("tool-test.jsonl"), toolPrompts("test", 30, 8));
        List<Row> rows = new ArrayList<>();
        for (PromptRecord r : genericPrompts(30)) rows.add(PromptsTable.toRow(r));
        spark.createDataFrame(rows, PromptsTable.SCHEMA).coalesce(1).write().parquet(prompts.resolve("generic-train.parquet").toString());
        return dir;
    }

    private static final String[] CITIES = {"paris", "rome", "oslo", "lima", "tokyo", "cairo", "quito", "dublin"};

    /** Short tool requests (the tiny BPE tokenizer spells long ToolRL prompts in thousands of tokens). */
    public static List<PromptRecord> toolPrompts(String split, int from, int n) {
        List<PromptRecord> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            String tool = i % 2 == 0 ? "get_weather" : "get_time", city = CITIES[i % CITIES.length];
            String schema = "{\"name\": \"" + tool + "\", \"description\": \"look it up\", \"parameters\": {\"type\": \"object\", "
                    + "\"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}";
            String ask = (tool.equals("get_weather") ? "what is the weather in " : "what time is it in ") + city + "? (" + i + ")";
            out.add(new PromptRecord("tool-" + i, "text", split, "tool", List.of(new PromptRecord.Message("user", ask)), List.of(schema),
                    "[{\"name\": \"" + tool + "\", \"arguments\": {\"city\": \"" + city + "\"}}]", PromptRecord.TOOL_CALL, Map.of()));
        }
        return out;
    }

    public static List<PromptRecord> genericPrompts(int n) {
        List<PromptRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PromptRecord("generic-" + i, "text", "train", "generic",
                    List.of(new PromptRecord.Message("user", "why is " + CITIES[i % CITIES.length] + " so calm? (" + i + ")")), List.of(), null,
                    PromptRecord.RESPONSE, Map.of()));
        }
        return out;
    }

}
