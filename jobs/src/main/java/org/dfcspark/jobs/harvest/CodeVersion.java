package org.dfcspark.jobs.harvest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The code version recorded in manifests: {@code git describe} of the checkout when available. */
final class CodeVersion {
    private CodeVersion() {}

    static String describe(Path checkout) {
        try {
            Process p = new ProcessBuilder("git", "-C", checkout.toString(), "describe", "--always", "--dirty", "--abbrev=12")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) return "git " + out;
        } catch (IOException e) {
            // no git on this machine: fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown (no git checkout at " + checkout + ")";
    }
}
