package org.dfcspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfcspark.jobs.options.Args;
import org.junit.jupiter.api.Test;

/** {@code bin/dfc train}'s flags: what a mistyped key or a bad value gets (exit 2, one line, before Spark starts). */
class TrainCommandTest {
    @Test
    void anUnknownSetKeyExitsTwoWithTheKnownKeys() {
        CliRun r = CliRun.run("train", "--store", "s", "--hook", "blocks.1.hook_resid_post", "--out", "o", "--set", "dict=5");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unknown training key 'dict' (known: ["), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    }

    @Test
    void badValuesExitTwoWithOneLine() {
        CliRun k = CliRun.run("train", "--store", "s", "--out", "o", "--set", "k=0");
        assertEquals(2, k.code(), k.err());
        assertTrue(k.err().contains("k must be in [1, dict_size = 8192]"), k.err());
        CliRun sync = CliRun.run("train", "--store", "s", "--out", "o", "--sync", "often");
        assertEquals(2, sync.code(), sync.err());
        assertTrue(sync.err().contains("sync must be every-step or every:H"), sync.err());
        CliRun set = CliRun.run("train", "--store", "s", "--out", "o", "--set", "nokey");
        assertEquals(2, set.code(), set.err());
        assertTrue(set.err().contains("--set expects key=value, got 'nokey'"), set.err());
    }

    @Test
    void theNamedFlagsOverrideSetWhichOverridesTheConfigFile() {
        Args a = Args.parse(new String[] {"--config", org.dfcspark.data.ProjectPaths.root().resolve("conf/train/organism.conf").toString(),
                "--set", "k=32", "--set", "steps=50", "--steps", "70", "--replicas", "2"}, new TrainCommand().valuedFlags(), new TrainCommand().switchFlags());
        var cfg = TrainCommand.config(a);
        assertEquals(32, cfg.k());
        assertEquals(70, cfg.steps());
        assertEquals(2, cfg.replicas());
        assertEquals(512, cfg.dictSize(), "from organism.conf");
    }

    @Test
    void printDefaultsShowsEveryKey() {
        CliRun r = CliRun.run("train", "--print-defaults");
        assertEquals(0, r.code(), r.err());
        for (String key : org.dfcspark.dfc.train.TrainConfig.keys()) assertTrue(r.out().contains("\"" + key + "\""), key);
    }
}
