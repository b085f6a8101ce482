package org.dfcspark.jobs.train;

import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Communicator;
import ml.dmlc.xgboost4j.java.RabitTracker;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.dfcspark.dfc.train.AllReduce;

/**
 * {@link AllReduce} over XGBoost4J's collective (a ring all-reduce over TCP between the replicas, coordinated by a
 * {@link RabitTracker}), as XGBoost4J-Spark runs it inside a barrier stage. XGBoost keeps one communicator per thread,
 * so replicas that share an executor JVM (local mode) are separate members. Sums are computed the same way on every
 * member, so every replica gets bit-identical results.
 */
public final class XgbAllReduce implements AllReduce, AutoCloseable {
    /** Large arrays go through the collective in pieces of this many floats (bounded temporary copies). */
    private static final int CHUNK = 1 << 22;

    private final int rank;
    private final int size;
    private long bytes;

    private XgbAllReduce(int rank, int size) {
        this.rank = rank;
        this.size = size;
    }

    /** Starts a tracker for {@code replicas} members on this host; returns it with the arguments members connect with. */
    public static RabitTracker startTracker(int replicas, String host, int timeoutSeconds) throws XGBoostError {
        RabitTracker tracker = new RabitTracker(replicas, host, 0, timeoutSeconds);
        if (!tracker.start()) throw new IllegalStateException("could not start the all-reduce tracker on " + host);
        return tracker;
    }

    /** Tracker arguments (host, port) to send to the other replicas; their types matter (the port is an integer). */
    public static Map<String, Object> workerArgs(RabitTracker tracker) throws XGBoostError {
        return new HashMap<>(tracker.getWorkerArgs());
    }

    /** Joins the collective as member {@code rank} (blocks until all members joined). */
    public static XgbAllReduce join(Map<String, Object> trackerArgs, int rank, int size) throws XGBoostError {
        Map<String, Object> args = new HashMap<>(trackerArgs);
        args.put("dmlc_task_id", String.valueOf(rank));
        Communicator.init(args);
        int got = Communicator.getWorldSize();
        if (got != size) throw new IllegalStateException("the all-reduce has " + got + " members, expected " + size);
        return new XgbAllReduce(Communicator.getRank(), size);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void sum(float[] v) {
        reduce(v, Communicator.OpType.SUM);
    }

    @Override
    public void max(float[] v) {
        reduce(v, Communicator.OpType.MAX);
    }

    @Override
    public void min(float[] v) {
        reduce(v, Communicator.OpType.MIN);
    }

    @Override
    public long bytesReduced() {
        return bytes;
    }

    private void reduce(float[] v, Communicator.OpType op) {
        for (int from = 0; from < v.length; from += CHUNK) {
            int n = Math.min(CHUNK, v.length - from);
            float[] piece = from == 0 && n == v.length ? v : java.util.Arrays.copyOfRange(v, from, from + n);
            float[] r = Communicator.allReduce(piece, op);
            System.arraycopy(r, 0, v, from, n);
        }
        bytes += 4L * v.length;
    }

    @Override
    public void close() throws XGBoostError {
        Communicator.shutdown();
    }
}
