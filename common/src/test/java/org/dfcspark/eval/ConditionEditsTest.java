package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.dfcspark.dfc.SparseCodes;
import org.junit.jupiter.api.Test;

/** Conditions as data and the numbers of their edits, hand-checked on a tiny crosscoder (d = 8, D = 32, k = 4). */
class ConditionEditsTest {
    static final int D = 8;
    // nA = nB = 4: features 0..3 A-exclusive, 4..7 B-exclusive, 8..31 shared
    static final Crosscoder CC = SteeringTest.crosscoder(D, 32, 4, 21);
    static final float[][] A = {SteeringTest.gaussian(D, 1), SteeringTest.gaussian(D, 2)};
    static final float[][] B = {SteeringTest.gaussian(D, 3), SteeringTest.gaussian(D, 4)};

    static double[] means() {
        double[] m = new double[32];
        for (int j = 0; j < 32; j++) m[j] = 0.1 * (j + 1);
        return m;
    }

    static ConditionEdits edits() {
        return new ConditionEdits(CC, D, means(), 1);
    }

    /** A feature active in row 0 of the pair encoding (so scale and clamp have something to act on), in a group. */
    static int activeFeature(FeatureGroup group) {
        SparseCodes f = encoded().features();
        for (int e = 0; e < f.count(0); e++) if (group.contains(CC.partition(), f.feature(0, e))) return f.feature(0, e);
        throw new IllegalStateException("no " + group + " feature active in row 0");
    }

    static float activation(int row, int feature) {
        SparseCodes f = encoded().features();
        for (int e = 0; e < f.count(row); e++) if (f.feature(row, e) == feature) return f.value(row, e);
        return 0;
    }

    static BatchStep.Encoded encoded() {
        float[] pairs = new float[2 * 2 * D];
        for (int r = 0; r < 2; r++) {
            System.arraycopy(A[r], 0, pairs, r * 2 * D, D);
            System.arraycopy(B[r], 0, pairs, r * 2 * D + D, D);
        }
        return new BatchStep(CC, 1).encode(pairs, 2);
    }

    @Test
    void keysAreStableAndReadable() {
        assertEquals("clean/A", new Condition.Clean(Side.A).key());
        assertEquals("reconstruction/B/prompt/keep-error", new Condition.Reconstruction(Side.B, EditPositions.PROMPT, true).key());
        Condition.Steer s = Condition.Steer.scale(Side.A, FeatureGroup.A_EXCLUSIVE, List.of(3, 1), 32, EditPositions.LAST);
        assertEquals("steer/A/scale/a_exclusive/f3,1/alpha=32/last", s.key());
        assertEquals("steer/B/add/a_exclusive/f2/beta=0.5/side=A/every-step",
                Condition.Steer.add(Side.B, FeatureGroup.A_EXCLUSIVE, List.of(2), 0.5, Side.A, EditPositions.EVERY_STEP).key());
        assertEquals("random/seed=7/steer/A/scale/a_exclusive/f3,1/alpha=32/last", new Condition.RandomDirection(s, 7).key());
    }

    @Test
    void conditionsSurviveJavaSerialization() throws Exception {
        Condition.Steer s = Condition.Steer.clamp(Side.B, FeatureGroup.SHARED, List.of(9), 2.5, EditPositions.PROMPT);
        List<Condition> all = List.of(new Condition.Clean(Side.A), new Condition.Reconstruction(Side.A, EditPositions.EVERY_STEP, false),
                s, new Condition.RandomDirection(s, 3));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new java.util.ArrayList<>(all));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(all, in.readObject());
        }
    }

    @Test
    void conditionsRefuseMalformedFields() {
        assertThrows(IllegalArgumentException.class, () -> Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(), 2, EditPositions.LAST));
        assertThrows(IllegalArgumentException.class, () -> Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(1, 1), 2, EditPositions.LAST));
        assertThrows(IllegalArgumentException.class, () -> Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(1), Double.NaN, EditPositions.LAST));
        assertThrows(IllegalArgumentException.class, () -> new Condition.Steer(Side.A, FeatureGroup.ALL, List.of(1), SteeringMode.SCALE, 2, Side.B, EditPositions.LAST));
        assertEquals(FeatureGroup.B_EXCLUSIVE, FeatureGroup.parse("b_exclusive"));
        assertEquals(EditPositions.EVERY_STEP, EditPositions.parse("every-step"));
        assertThrows(IllegalArgumentException.class, () -> SteeringMode.parse("boost"));
    }

    @Test
    void scaleWithAlphaOneAndClampToTheActivationAreNoOps() {
        int f = activeFeature(FeatureGroup.ALL);
        PairEdit scale1 = edits().edit(Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(f), 1, EditPositions.LAST));
        assertArrayEquals(A, scale1.apply(A, B));
        float fi = activation(0, f);
        assertTrue(fi > 0);
        PairEdit clamp = edits().edit(Condition.Steer.clamp(Side.A, FeatureGroup.ALL, List.of(f), fi, EditPositions.LAST));
        assertArrayEquals(A[0], clamp.apply(new float[][] {A[0]}, new float[][] {B[0]})[0]);
    }

    @Test
    void scaleAndClampMoveAlongTheDecoderByTheActivation() {
        int f = activeFeature(FeatureGroup.SHARED);
        float[] dirB = Steering.featureDirection(CC, f, 1);
        PairEdit scale = edits().edit(Condition.Steer.scale(Side.B, FeatureGroup.SHARED, List.of(f), 4, EditPositions.LAST));
        PairEdit clamp = edits().edit(Condition.Steer.clamp(Side.B, FeatureGroup.SHARED, List.of(f), 10, EditPositions.LAST));
        float[][] scaled = scale.apply(B, A), clamped = clamp.apply(B, A); // model B: own = B, partner = A
        for (int r = 0; r < 2; r++) {
            double fi = activation(r, f);
            for (int i = 0; i < D; i++) {
                assertEquals(B[r][i] + 3 * fi * dirB[i], scaled[r][i], 1e-5, "scale row " + r);
                assertEquals(B[r][i] + (10 - fi) * dirB[i], clamped[r][i], 1e-5, "clamp row " + r);
            }
        }
    }

    @Test
    void addIsBetaTimesTheToolMeanTimesTheChosenSidesDirection() {
        // B steered with A-exclusive features on their A-side decoders (their B side is 0).
        PairEdit add = edits().edit(Condition.Steer.add(Side.B, FeatureGroup.A_EXCLUSIVE, List.of(1, 2), 4, Side.A, EditPositions.LAST));
        float[] d1 = Steering.featureDirection(CC, 1, 0), d2 = Steering.featureDirection(CC, 2, 0);
        float[][] out = add.apply(B, A);
        for (int r = 0; r < 2; r++) {
            for (int i = 0; i < D; i++) assertEquals(B[r][i] + 4 * (0.2 * d1[i] + 0.3 * d2[i]), out[r][i], 1e-5);
        }
    }

    @Test
    void randomDirectionHasTheSteeringNormAndIsSeeded() {
        int f = activeFeature(FeatureGroup.ALL);
        Condition.Steer like = Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(f), 9, EditPositions.LAST);
        float[][] steered = edits().edit(like).apply(A, B);
        float[][] r7 = edits().edit(new Condition.RandomDirection(like, 7)).apply(A, B);
        float[][] r7again = edits().edit(new Condition.RandomDirection(like, 7)).apply(A, B);
        float[][] r8 = edits().edit(new Condition.RandomDirection(like, 8)).apply(A, B);
        assertArrayEquals(r7, r7again, "same seed, same direction");
        for (int r = 0; r < 2; r++) {
            double steerNorm = norm(A[r], steered[r]);
            assertEquals(steerNorm, norm(A[r], r7[r]), 1e-4 * Math.max(1, steerNorm), "row " + r);
            if (r == 0) assertTrue(steerNorm > 0);
        }
        assertFalse(java.util.Arrays.equals(r7[0], r8[0]), "another seed, another direction");
        assertFalse(java.util.Arrays.equals(r7[0], steered[0]), "not the steering direction");
        double[] u = ConditionEdits.unitGaussian(D, 7);
        double n = 0;
        for (double x : u) n += x * x;
        assertEquals(1, n, 1e-12);
    }

    @Test
    void reconstructionIsTheJointDecodeAndKeepingTheErrorGivesTheResidualBack() {
        for (Side side : Side.values()) {
            float[][] own = side == Side.A ? A : B, partner = side == Side.A ? B : A;
            float[][] expected = Steering.reconstruct(CC, A, B, side.index(), 1);
            assertArrayEquals(expected, edits().edit(new Condition.Reconstruction(side, EditPositions.LAST, false)).apply(own, partner));
            float[][] kept = edits().edit(new Condition.Reconstruction(side, EditPositions.LAST, true)).apply(own, partner);
            for (int r = 0; r < 2; r++) assertArrayEquals(own[r], kept[r], 1e-5f);
        }
        assertNull(edits().edit(new Condition.Clean(Side.A)), "clean edits nothing");
    }

    @Test
    void badInputIsRefusedWithOneClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConditionEdits(CC, 64, null, 1));
        assertEquals("the crosscoder reads 8-dimensional activations but the model's hidden size is 64", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> edits().edit(Condition.Steer.scale(Side.A, FeatureGroup.ALL, List.of(32), 2, EditPositions.LAST)));
        assertEquals("steer/A/scale/all/f32/alpha=2/last: feature 32 is outside the dictionary 0..31", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> edits().edit(Condition.Steer.scale(Side.A, FeatureGroup.A_EXCLUSIVE, List.of(9), 2, EditPositions.LAST)));
        assertEquals("steer/A/scale/a_exclusive/f9/alpha=2/last: feature 9 is shared, not a_exclusive", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> edits().edit(Condition.Steer.scale(Side.B, FeatureGroup.A_EXCLUSIVE, List.of(2), 2, EditPositions.LAST)));
        assertEquals("steer/B/scale/a_exclusive/f2/alpha=2/last: feature 2 is a_exclusive and has no decoder for model B", e.getMessage());
        double[] nanMeans = means();
        nanMeans[5] = Double.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> new ConditionEdits(CC, D, nanMeans, 1)
                .edit(Condition.Steer.add(Side.B, FeatureGroup.B_EXCLUSIVE, List.of(5), 1, Side.B, EditPositions.LAST)));
        assertEquals("steer/B/add/b_exclusive/f5/beta=1/side=B/last: the steering vector is not finite (NaN)", e.getMessage());
        // The crosscoder refuses non-finite weights when loaded, but a huge coefficient can still overflow the vector.
        e = assertThrows(IllegalArgumentException.class, () -> edits()
                .edit(Condition.Steer.add(Side.A, FeatureGroup.SHARED, List.of(10), Double.MAX_VALUE, Side.A, EditPositions.LAST)));
        assertTrue(e.getMessage().endsWith("/side=A/last: the steering vector is not finite (Infinity)")
                || e.getMessage().endsWith("/side=A/last: the steering vector is not finite (-Infinity)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConditionEdits(CC, D, null, 1)
                .edit(Condition.Steer.add(Side.A, FeatureGroup.SHARED, List.of(10), 1, Side.A, EditPositions.LAST)));
        assertEquals("steer/A/add/shared/f10/beta=1/side=A/last: add mode needs the features' mean tool activations", e.getMessage());
    }

    private static double norm(float[] from, float[] to) {
        double s = 0;
        for (int i = 0; i < from.length; i++) s += ((double) to[i] - from[i]) * ((double) to[i] - from[i]);
        return Math.sqrt(s);
    }
}
