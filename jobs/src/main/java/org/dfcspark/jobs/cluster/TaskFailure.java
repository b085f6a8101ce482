package org.dfcspark.jobs.cluster;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Turns a failed Spark job into the one line a user needs, with the full stack trace in a log file the line names.
 * A failure that running again can cure (a lost executor or worker, a killed or disconnected driver, an I/O
 * error) says "run the same command again to resume"; one that it cannot (bad input, a code error: what a task
 * threw, such as {@link IllegalArgumentException} or {@link ClassCastException}) says so and names the task's
 * context (a task adds it with {@link InTask}).
 *
 * <pre>{@code
 * try { ... spark job ... } catch (SparkException e) { throw TaskFailure.report("harvest", e, logDir, "finished shards are kept"); }
 * }</pre>
 */
public final class TaskFailure {
    private TaskFailure() {}

    /** A task's exception with what it was working on ("shard 3, prompt 17 (id …)"); the cause is what it threw. */
    public static final class InTask extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InTask(String context, Throwable cause) {
            super(context + ": " + cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
        }
    }

    /** Whether running the job again can cure {@code e}. */
    public static boolean rerunCures(Throwable e) {
        Throwable root = root(e);
        if (root instanceof java.io.ObjectStreamException) return false; // not serialisable: a code error
        if (root == e || root instanceof IOException) return true; // scheduler-level: executor lost, stage aborted, I/O
        return !(root instanceof RuntimeException || root instanceof Error);
    }

    /**
     * The exception to throw to the command (its message is the one line); the stack trace goes to a new file in
     * {@code logDir}. {@code kept} says what survives (e.g. "finished shards are kept").
     */
    public static RuntimeException report(String job, Throwable e, Path logDir, String kept) {
        Path log = writeLog(job, e, logDir);
        String where = log == null ? "" : "; stack trace in " + log;
        InTask ctx = find(e, InTask.class);
        Throwable root = root(e);
        String what = ctx != null ? ctx.getMessage() : root == e ? firstLine(e.getMessage()) : root.getClass().getSimpleName() + ": " + firstLine(root.getMessage());
        if (rerunCures(e)) {
            return new IllegalStateException(job + " was interrupted (" + what + "); " + kept + ", run the same command again to resume" + where, e);
        }
        return new IllegalArgumentException(job + " failed in a Spark task: " + what + ". Running again will not fix this: fix the input "
                + "(or report a bug if the input is right)" + where, e);
    }

    /** "Class: message" of the innermost cause, first line only. */
    public static String firstLineOfRoot(Throwable e) {
        Throwable r = root(e);
        return r.getClass().getSimpleName() + ": " + firstLine(r.getMessage());
    }

    static Path writeLog(String job, Throwable e, Path logDir) {
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(job.replace(' ', '-') + "-failure-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")) + ".log");
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            Files.writeString(log, w.toString());
            return log;
        } catch (IOException | RuntimeException io) {
            return null;
        }
    }

    static Throwable root(Throwable e) {
        Throwable r = e;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        return r;
    }

    static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) if (type.isInstance(t)) return type.cast(t);
        return null;
    }

    private static String firstLine(String m) {
        String s = String.valueOf(m);
        return s.lines().findFirst().orElse(s);
    }
}
