package org.dfcspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrentJobsTest {
    /** Each action waits for the other: they only finish if they run at the same time. */
    @Test
    void actionsRunAtOnceAndTheirResultsComeInOrder() throws IOException {
        CountDownLatch both = new CountDownLatch(2);
        List<String> out = ConcurrentJobs.all(() -> meet(both, "first"), () -> meet(both, "second"));
        assertEquals(List.of("first", "second"), out);
    }

    /** The error a user sees is the first action's (the evaluation prompts' before the ranking prompts'), as it was thrown. */
    @Test
    void theFirstFailureInOrderIsRethrownUnwrapped() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> ConcurrentJobs.all(
                () -> { Thread.sleep(50); throw new FileNotFoundException("prompts table not found: a.parquet"); },
                () -> { throw new IllegalArgumentException("b.parquet: not a valid prompts table"); }));
        assertEquals("prompts table not found: a.parquet", e.getMessage());
        IllegalArgumentException second = assertThrows(IllegalArgumentException.class, () -> ConcurrentJobs.all(
                () -> "fine", () -> { throw new IllegalArgumentException("b.parquet: not a valid prompts table"); }));
        assertEquals("b.parquet: not a valid prompts table", second.getMessage());
    }

    private static String meet(CountDownLatch latch, String name) throws InterruptedException {
        latch.countDown();
        if (!latch.await(30, TimeUnit.SECONDS)) throw new IllegalStateException(name + " ran alone");
        return name;
    }
}
