package org.dfcspark.dfc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.dfc.Coupling;
import org.dfcspark.dfc.LossKind;
import org.dfcspark.dfc.Sparsity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreThePapersRecipe() {
        TrainConfig c = TrainConfig.defaults();
        assertEquals(Sparsity.TOPK, c.sparsity());
        assertEquals(LossKind.PAPER, c.loss());
        assertEquals(1e-4, c.lr());
        assertEquals(9000, c.steps());
        assertEquals(1024, c.batch());
        assertEquals(1.0, c.clip());
        assertEquals(SyncMode.EVERY_STEP, c.sync());
        assertEquals(1, c.streamCount());
    }

    @Test
    void shippedConfigsLoad() {
        TrainConfig paper = TrainConfig.fromFile(ProjectPaths.root().resolve("conf/train/paper.conf").toString());
        assertEquals("zscore", paper.normalization());
        assertEquals(9000, paper.steps());
        TrainConfig organism = TrainConfig.fromFile(ProjectPaths.root().resolve("conf/train/organism.conf").toString());
        assertEquals(Coupling.TIED, organism.coupling());
        assertEquals(1e-3, organism.lr());
    }

    @Test
    void jsonRoundTripsExactly() {
        TrainConfig c = TrainConfig.defaults().with(Map.of("dict_size", "2048", "k", "32", "sync", "every:4", "replicas", "2",
                "checkpoint_every", "8", "store", "/data/store", "hook", "blocks.3.hook_resid_post", "lr", "3e-4"));
        assertEquals(c, TrainConfig.fromJson(c.toJson(), "test"));
        assertEquals(3, c.layer());
        assertEquals(new SyncMode(4), c.sync());
    }

    @Test
    void aFileThenSetThenFlagsOverrideTheDefaults() throws Exception {
        Path f = dir.resolve("t.conf");
        Files.writeString(f, "train {\n  dict_size = 4096\n  k = 90   # a comment\n  excl_a = 0.05\n}\n");
        TrainConfig c = TrainConfig.fromFile(f.toString()).with(Map.of("k", "160"));
        assertEquals(4096, c.dictSize());
        assertEquals(160, c.k());
        assertEquals(0.05, c.exclA());
        assertEquals(0.1, c.exclB());
    }

    @Test
    void anUnknownKeyIsRefusedWithTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().with(Map.of("dict", "5")));
        assertTrue(e.getMessage().startsWith("unknown training key 'dict' (known: "), e.getMessage());
    }

    @Test
    void badValuesAreRefusedWithOneLine() {
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().with(Map.of("k", "many")));
        var k = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().with(Map.of("k", "9000")));
        assertTrue(k.getMessage().contains("k must be in [1, dict_size = 8192]"), k.getMessage());
        var sync = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().with(Map.of("sync", "sometimes")));
        assertTrue(sync.getMessage().contains("every-step or every:H"), sync.getMessage());
        var split = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().with(Map.of("replicas", "3")));
        assertTrue(split.getMessage().contains("batch (1024) must be divisible by the number of streams (3)"), split.getMessage());
        var hook = assertThrows(IllegalArgumentException.class, () -> TrainConfig.hookLayer("layer13"));
        assertTrue(hook.getMessage().contains("blocks.L.hook_resid_post"), hook.getMessage());
    }

    @Test
    void theIdentityLeavesOutCadenceAndThreads() {
        TrainConfig a = TrainConfig.defaults(), b = a.with(Map.of("checkpoint_every", "500", "threads", "3", "log_every", "7"));
        assertEquals("", b.identityDifference(a.identity()));
        assertEquals("k 45 -> 90", a.with(Map.of("k", "90")).identityDifference(a.identity()));
    }
}
