package org.dfcspark.jobs.train;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Communicator;
import ml.dmlc.xgboost4j.java.RabitTracker;
import ml.dmlc.xgboost4j.java.XGBoostError;
import ml.dmlc.xgboost4j.java.XGBoostJNI;
import org.dfcspark.dfc.train.AllReduce;

/**
 * {@link AllReduce} over XGBoost4J's collective (a ring all-reduce over TCP between the replicas, coordinated by a
 * {@link RabitTracker}), as XGBoost4J-Spark runs it inside a barrier stage. XGBoost keeps one communicator per thread,
 * so replicas that share an executor JVM (local mode) are separate members. Sums are computed the same way on every
 * member, so every replica gets bit-identical results. A step's gradient arrays go as one message, staged in one
 * direct buffer that the native all-reduce sums in place (see {@link #inPlaceEntry}).
 */
public final class XgbAllReduce implements AllReduce, AutoCloseable {
    /** Through the public API, large arrays go in pieces of this many floats (bounded temporary copies). */
    private static final int CHUNK = 1 << 22;
    /** The most floats one staged message holds (a direct buffer is indexed by int). */
    private static final long MAX_STAGED = (Integer.MAX_VALUE - 8) / 4;
    private static final Method IN_PLACE = inPlaceEntry();

    private final int rank;
    private final int size;
    private long bytes;
    /** One direct buffer per member, reused by every call: a step's gradients are staged here and reduced in place. */
    private ByteBuffer staging = ByteBuffer.allocateDirect(0);

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

    /** Whether this XGBoost4J offers the in-place entry point (else every call goes through the public API). */
    static boolean inPlace() {
        return IN_PLACE != null;
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
        reduce(new float[][] {v}, Communicator.OpType.SUM);
    }

    @Override
    public void sum(float[][] arrays) {
        reduce(arrays, Communicator.OpType.SUM);
    }

    @Override
    public void max(float[] v) {
        reduce(new float[][] {v}, Communicator.OpType.MAX);
    }

    @Override
    public void min(float[] v) {
        reduce(new float[][] {v}, Communicator.OpType.MIN);
    }

    @Override
    public long bytesReduced() {
        return bytes;
    }

    /** All arrays in one message when the in-place entry point is there, else each in pieces through the public API. */
    private void reduce(float[][] arrays, Communicator.OpType op) {
        long n = 0;
        for (float[] a : arrays) n += a.length;
        if (IN_PLACE != null && n <= MAX_STAGED) {
            reduceInPlace(arrays, (int) n, op);
        } else {
            for (float[] a : arrays) reduceInPieces(a, op);
        }
        bytes += 4L * n;
    }

    private void reduceInPlace(float[][] arrays, int n, Communicator.OpType op) {
        if (staging.capacity() < 4L * n) staging = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        staging.clear();
        FloatBuffer in = staging.asFloatBuffer();
        for (float[] a : arrays) in.put(a);
        int rc;
        try {
            rc = (int) IN_PLACE.invoke(null, staging, n, Communicator.DataType.FLOAT32.getEnumOp(), op.getOperand());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("XGBoost's all-reduce could not be called", e);
        }
        if (rc != 0) throw new IllegalStateException("all-reduce failed: " + XGBoostJNI.XGBGetLastError());
        FloatBuffer out = staging.asFloatBuffer();
        for (float[] a : arrays) out.get(a);
    }

    private static void reduceInPieces(float[] v, Communicator.OpType op) {
        for (int from = 0; from < v.length; from += CHUNK) {
            int n = Math.min(CHUNK, v.length - from);
            float[] piece = from == 0 && n == v.length ? v : java.util.Arrays.copyOfRange(v, from, from + n);
            float[] r = Communicator.allReduce(piece, op);
            System.arraycopy(r, 0, v, from, n);
        }
    }

    /**
     * {@code XGBoostJNI.CommunicatorAllreduce(ByteBuffer, count, dtype, op)}: the native all-reduce in place over a direct
     * buffer, which XGBoost4J's public {@code Communicator.allReduce(float[], op)} wraps with a fresh direct buffer
     * filled float by float and a fresh result array per call. Package-private in XGBoost4J, so reached by reflection;
     * null (and the public API used) when a version lacks it.
     */
    private static Method inPlaceEntry() {
        try {
            Method m = XGBoostJNI.class.getDeclaredMethod("CommunicatorAllreduce", ByteBuffer.class, int.class, int.class, int.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() throws XGBoostError {
        Communicator.shutdown();
    }
}
