package org.dfcspark.cli;

import org.dfcspark.jobs.options.Args;
import org.dfcspark.jobs.options.UsageException;

/** Flag helpers shared by the crosscoder commands. */
final class CrosscoderCli {
    private CrosscoderCli() {}

    /** --threads N (default: available cores), at least 1. */
    static int threads(Args args) {
        int t = args.getInt("threads", Runtime.getRuntime().availableProcessors());
        if (t < 1) throw new UsageException("--threads must be >= 1, got " + t);
        return t;
    }

    static double share(Args args, String flag, double dflt) {
        double p = args.getDouble(flag, dflt);
        if (!(p >= 0 && p <= 1)) throw new UsageException("--" + flag + " is a share in [0, 1], got " + p);
        return p;
    }

    static double nonNegative(Args args, String flag, double dflt) {
        double v = args.getDouble(flag, dflt);
        if (!(v >= 0) || Double.isInfinite(v)) throw new UsageException("--" + flag + " must be a finite number >= 0, got " + v);
        return v;
    }

    static int positive(Args args, String flag, int dflt) {
        int v = args.getInt(flag, dflt);
        if (v <= 0) throw new UsageException("--" + flag + " must be positive, got " + v);
        return v;
    }

    /** Parses an enum-like choice, turning a bad value into a usage error. */
    static <T> T choice(Args args, String flag, T dflt, java.util.function.Function<String, T> parse) {
        String v = args.get(flag);
        if (v == null) return dflt;
        try {
            return parse.apply(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + flag + ": " + e.getMessage());
        }
    }
}
