package org.dfcspark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.data.PromptRecord;
import org.dfcspark.jobs.prompts.PromptsTable;
import org.dfcspark.jobs.SparkSessions;
import org.dfcspark.organism.OrganismPrompts;

import static org.junit.jupiter.api.Assertions.*;

/** {@code bin/dfc organism build} through {@link Main#run}: the CI smoke build and bad command lines. */
class OrganismBuildCommandTest {
    @TempDir
    Path tmp;

    /** --quick: a short SFT from scratch whose loss falls, and RL from the shipped B whose reward rises. */
    @Test
    void quickBuildTrainsAndPassesItsChecks() throws Exception {
        assertEquals(0, Main.run(new String[] {"organism", "build", "--quick", "--out", tmp.toString()}));
        JsonNode r = new ObjectMapper().readTree(tmp.resolve("quick-build.json").toFile());
        assertTrue(r.get("quick").asBoolean());
        assertTrue(r.get("sft_loss_last10").asDouble() < 0.8 * r.get("sft_loss_first10").asDouble(), r.toString());
        assertTrue(r.get("rl_reward_last3").asDouble() > r.get("rl_reward_first3").asDouble(), r.toString());
        assertEquals(0, r.get("failures").size());
        assertFalse(Files.exists(tmp.resolve("base")), "quick never writes models");
    }

    /** The shipped Parquet tables are valid prompts tables holding exactly the world's samples for the build seed. */
    @Test
    void shippedPromptsTablesAreTheWorldsSamples() throws Exception {
        Path dir = ProjectPaths.data("organism");
        long seed = new ObjectMapper().readTree(dir.resolve("build.json").toFile()).get("seed").asLong();
        SparkSession spark = SparkSessions.get("organism-test");
        for (OrganismPrompts.Table t : OrganismPrompts.TABLES) {
            Dataset<Row> table = spark.read().parquet(dir.resolve("prompts").resolve(t.fileName()).toString());
            assertEquals(List.of(), PromptsTable.validate(table, 3), t.name());
            List<PromptRecord> got = table.collectAsList().stream().map(PromptsTable::fromRow).toList();
            assertEquals(OrganismPrompts.records(t, seed), got, t.name());
        }
    }

    @Test
    void malformedFlagsExitTwo() {
        assertEquals(2, Main.run(new String[] {"organism", "build", "--seed", "twelve"}));
        assertEquals(2, Main.run(new String[] {"organism", "build", "--epochs", "3"}));
        assertEquals(2, Main.run(new String[] {"organism", "build", "--quick=yes"}));
        assertEquals(2, Main.run(new String[] {"organism", "build", "--base-from", tmp.resolve("nothing").toString(), "--out", tmp.resolve("o").toString()}));
        assertEquals(2, Main.run(new String[] {"organism", "build", "--quick", "--base-from", ProjectPaths.data("organism").resolve("base").toString()}));
        assertFalse(Files.exists(tmp.resolve("o")), "refused before any work");
    }
}
