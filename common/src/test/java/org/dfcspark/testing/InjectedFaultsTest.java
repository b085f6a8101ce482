package org.dfcspark.testing;

import static org.junit.jupiter.api.Assertions.*;

import org.dfcspark.dfc.train.TrainConfig;
import org.junit.jupiter.api.Test;

/** The fault spec tests pass to the jobs: parsed exactly, printed back, mistakes refused (a typo must not pass silently). */
class InjectedFaultsTest {
    @Test
    void aSpecParsesAndPrintsBack() {
        InjectedFaults f = InjectedFaults.parse("harvest.fail-shard=1, harvest.batch-delay-ms=500,train.fail-at-step=12,train.fail-only=boom-*,"
                + "train.step-delay-ms=40,evaluate.fail-shard=0");
        assertEquals(new InjectedFaults(1, 500, 12, "boom-*", 40, 0), f);
        assertEquals(f, InjectedFaults.parse(f.spec()));
        assertEquals(InjectedFaults.NONE, InjectedFaults.parse(""));
        assertFalse(InjectedFaults.NONE.any());
        assertEquals("no injected faults", InjectedFaults.NONE.toString());
    }

    @Test
    void trainingFaultsTargetEveryRunOneNameOrAPrefix() {
        assertTrue(InjectedFaults.parse("train.fail-at-step=3").failsTraining(null));
        assertTrue(InjectedFaults.parse("train.fail-at-step=3").failsTraining("dfc-k8"));
        InjectedFaults boom = InjectedFaults.parse("train.fail-at-step=3,train.fail-only=boom-*");
        assertTrue(boom.failsTraining("boom-k4"));
        assertFalse(boom.failsTraining("dfc-k4"));
        assertFalse(boom.failsTraining(null), "a plain training run has no variant name");
        assertTrue(InjectedFaults.parse("train.fail-at-step=3,train.fail-only=dfc-k8").failsTraining("dfc-k8"));
        assertFalse(InjectedFaults.parse("train.fail-at-step=3,train.fail-only=dfc-k8").failsTraining("dfc-k80"));
        assertFalse(InjectedFaults.NONE.failsTraining("x"));
    }

    @Test
    void mistakesAreRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InjectedFaults.parse("harvest.fail-shrad=1"));
        assertTrue(e.getMessage().startsWith("dfc.faults: unknown fault 'harvest.fail-shrad'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> InjectedFaults.parse("train.fail-at-step=soon"));
        assertEquals("dfc.faults: train.fail-at-step must be an integer, got 'soon'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> InjectedFaults.parse("train.fail-at-step"));
        assertTrue(e.getMessage().contains("expected key=value"), e.getMessage());
    }

    @Test
    void theRetiredTrainingKeysAreRefusedInConfigsButIgnoredInOldCheckpoints() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.fromHocon(com.typesafe.config.ConfigFactory.parseString("testing_fail_at_step = 3"), "x.conf"));
        assertTrue(e.getMessage().contains("training key 'testing_fail_at_step' was removed: tests inject faults with -Ddfc.faults="), e.getMessage());
        String old = TrainConfig.defaults().toJson().replace("\"threads\" : 0", "\"threads\" : 0,\n  \"testing_fail_at_step\" : -1,\n  \"testing_step_delay_ms\" : 0");
        assertNotEquals(TrainConfig.defaults().toJson(), old, "the old keys are in the JSON");
        assertEquals(TrainConfig.defaults(), TrainConfig.fromJson(old, "an old checkpoint's config.json"));
    }
}
