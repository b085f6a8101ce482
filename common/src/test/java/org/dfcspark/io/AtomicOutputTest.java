package org.dfcspark.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputTest {
    @TempDir Path tmp;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFailedWriteLeavesTheOldOutputAndNoTemporaryFile() throws Exception {
        Path out = tmp.resolve("out.txt");
        AtomicOutput.writeFile(out, t -> Files.writeString(t, "old"));
        assertThrows(IOException.class, () -> AtomicOutput.writeFile(out, t -> {
            Files.writeString(t, "half");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(out));
        assertEquals(List.of("out.txt"), names());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    @Test
    void aKilledRunsTemporariesAreRemovedByTheNextRun() throws Exception {
        Path dir = tmp.resolve("ckpt");
        Files.createDirectories(tmp.resolve(".ckpt.tmp-dead").resolve("sub"));
        Files.writeString(tmp.resolve(".ckpt.tmp-dead/sub/w.bin"), "x");
        AtomicOutput.writeDirectory(dir, t -> Files.writeString(t.resolve("a.txt"), "new"));
        assertEquals(List.of("ckpt"), names());
        AtomicOutput.writeDirectory(dir, t -> Files.writeString(t.resolve("b.txt"), "newer"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("b.txt"), s.map(p -> p.getFileName().toString()).toList(), "swapped as a whole");
        }
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void outputChecksNameTheFlag() throws Exception {
        Files.writeString(tmp.resolve("f"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputDirs.requireWritable(tmp.resolve("f/sub"), "--out"));
        assertEquals("--out " + tmp.resolve("f/sub") + ": " + tmp.resolve("f") + " is not a directory", e.getMessage());
        assertTrue(OutputDirs.isAbsentOrEmpty(tmp.resolve("none")));
        e = assertThrows(IllegalArgumentException.class, () -> OutputDirs.requireAbsentOrEmpty(tmp, "--out", "use another"));
        assertEquals("--out " + tmp + " is not empty; use another", e.getMessage());
    }
}
