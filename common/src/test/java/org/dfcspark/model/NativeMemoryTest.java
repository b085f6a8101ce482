package org.dfcspark.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Long loops do not leak native memory: every intermediate is closed with its scope. Runs in its own JVM with a
 * fixed glibc mmap threshold (common/pom.xml, execution native-memory) so that resident memory tracks live memory.
 */
class NativeMemoryTest {
    /**
     * Memory outside the Java heap in MB: resident set size (/proc/self/status) minus what the JVM has committed
     * for heap and non-heap (committed pages bound the resident ones), so heap resizing does not count as a leak.
     */
    static double nativeMb() throws IOException {
        System.gc();
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long jvm = mx.getHeapMemoryUsage().getCommitted() + mx.getNonHeapMemoryUsage().getCommitted();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return (Long.parseLong(line.replaceAll("\\D", "")) * 1024 - jvm) / 1048576.0;
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void thousandsOfForwardsKeepNativeMemoryFlat() throws IOException {
        int[] a = TinyFixture.ints("seq3.input_ids"), b = TinyFixture.ints("seq1.input_ids");
        TokenBatch batch = TokenBatch.leftPadded(List.of(a, b), 511);
        float[] v = TinyFixture.floats("add.v");
        List<Intervention> ivs = List.of(
                Intervention.add(HookPoint.residPost(1), v, 0.5, Positions.all(), Phase.EVERY_STEP),
                Intervention.replace(HookPoint.residPre(1), new float[][] {v}, Positions.indices(0), Phase.PREFILL),
                Intervention.capture(HookPoint.residPost(2), Positions.lastPrompt()));
        GenerationConfig gen = GenerationConfig.greedy(8, List.of(), 511);
        try (Qwen2Model model = Qwen2Model.load(TinyFixture.f32Dir(), Device.cpu())) {
            BaseNDManager weights = (BaseNDManager) model.parameters().values().iterator().next().getManager();
            int weightArrays = weights.getManagedArrays().size();
            Runnable work = () -> {
                for (int i = 0; i < 10; i++) {
                    try (NDManager scope = NDManager.newBaseManager()) {
                        model.forward(scope, batch, ivs).logits().getFloat(0, 0, 0);
                    }
                }
                Generator.generate(model, List.of(a, b), gen, ivs);
            };
            for (int i = 0; i < 30; i++) work.run(); // warm-up: allocator pools, JIT
            // 12 samples, one per 100 forwards + 10 generations; the allocator adds +-10 MB spikes, so compare the
            // lowest of the first three with the lowest of the last three (a leak raises every later sample)
            double[] samples = new double[12];
            for (int k = 0; k < samples.length; k++) {
                for (int i = 0; i < 10; i++) work.run();
                samples[k] = nativeMb();
            }
            double before = Math.min(samples[0], Math.min(samples[1], samples[2]));
            double after = Math.min(samples[9], Math.min(samples[10], samples[11]));
            System.out.printf("native memory over 1200 forwards and 120 generations (MB): %s%n", Arrays.toString(samples));
            assertTrue(after - before < 24, "native memory grew " + (after - before) + " MB: " + Arrays.toString(samples));
            assertEquals(weightArrays, weights.getManagedArrays().size(), "nothing was attached to the weights' manager");

            // the probe sees a real leak: keep 600 logits alive and resident memory must rise by most of their size
            try (NDManager leak = NDManager.newBaseManager()) {
                double start = nativeMb();
                long leaked = 0;
                for (int i = 0; i < 600; i++) {
                    NDArray logits = model.forward(leak, batch, List.of()).logits();
                    leaked += logits.size() * logits.getDataType().getNumOfBytes();
                }
                double grown = nativeMb() - start, leakedMb = leaked / 1048576.0;
                System.out.printf("a deliberate %.1f MB leak raised native memory by %.1f MB%n", leakedMb, grown);
                assertTrue(grown > leakedMb / 2, "a " + leakedMb + " MB leak is visible: " + grown + " MB");
            }
        }
    }
}
