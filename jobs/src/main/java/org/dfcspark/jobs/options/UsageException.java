package org.dfcspark.jobs.options;

/** A malformed command line: unknown flag, missing value, bad spec. The launcher prints one line and exits 2. */
public class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
