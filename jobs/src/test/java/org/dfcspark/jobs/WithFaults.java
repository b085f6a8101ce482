package org.dfcspark.jobs;

import org.dfcspark.testing.InjectedFaults;

/**
 * Runs a job in this JVM with {@link InjectedFaults} set: the driver reads them when it makes its tasks, so the
 * property only needs to be set around the call. Child JVMs get it as {@code -Ddfc.faults=…} instead.
 */
public final class WithFaults {
    private WithFaults() {}

    public interface Body<T> {
        T run() throws Exception;
    }

    public static <T> T run(String spec, Body<T> body) throws Exception {
        InjectedFaults.parse(spec); // a mistyped fault fails here, not silently
        System.setProperty(InjectedFaults.PROPERTY, spec);
        try {
            return body.run();
        } finally {
            System.clearProperty(InjectedFaults.PROPERTY);
        }
    }
}
