package org.dfcspark.cli;

import java.util.Set;
import org.dfcspark.jobs.options.Args;

/**
 * One `bin/dfc` subcommand. It declares its flags (anything else exits 2 with one line) and
 * returns the process exit code: 0 ok, 1 failure, 2 usage error.
 */
public interface Command {
    /** One line shown in `bin/dfc --help`. */
    String summary();

    /** Full usage text shown by `--help`. */
    String usage();

    /** Flags that take a value, without the leading dashes. */
    Set<String> valuedFlags();

    /** Flags that take no value. */
    default Set<String> switchFlags() {
        return Set.of();
    }

    default boolean acceptsPositional() {
        return false;
    }

    int run(Args args) throws Exception;
}
