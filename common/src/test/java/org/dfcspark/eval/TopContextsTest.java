package org.dfcspark.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dfcspark.dfc.BatchStep;
import org.dfcspark.dfc.Crosscoder;
import org.junit.jupiter.api.Test;

/** Top-activating contexts per feature, by hand and from a crosscoder. */
class TopContextsTest {

    @Test
    void keepsTheKHighestWithTheirWindows() {
        TopContexts top = new TopContexts(new int[] {7, 3}, 2, 1);
        // prompt 10: tokens 100..104; feature 7 = column 0, feature 3 = column 1
        top.add(10, new int[] {100, 101, 102, 103, 104},
                new float[][] {{0, 0}, {2, 0}, {5, 1}, {0, 0}, {1, 4}});
        top.add(11, new int[] {200, 201}, new float[][] {{5, 0}, {3, 0}});
        List<TopContexts.Context> f7 = top.top(7);
        assertEquals(2, f7.size());
        // two activations of 5: prompt 10 before prompt 11 (tie broken by prompt id)
        TopContexts.Context first = f7.get(0), second = f7.get(1);
        assertEquals(10, first.promptId());
        assertEquals(2, first.position());
        assertEquals(5f, first.activation());
        assertEquals(1, first.windowStart());
        assertArrayEquals(new int[] {101, 102, 103}, first.windowTokens());
        assertArrayEquals(new float[] {2, 5, 0}, first.windowActivations());
        assertEquals(11, second.promptId());
        assertEquals(0, second.position());
        assertArrayEquals(new int[] {200, 201}, second.windowTokens(), "window clipped at the prompt start");
        assertArrayEquals(new float[] {5, 3}, second.windowActivations());
        List<TopContexts.Context> f3 = top.top(3);
        assertEquals(4f, f3.get(0).activation());
        assertArrayEquals(new int[] {103, 104}, f3.get(0).windowTokens(), "window clipped at the prompt end");
        assertEquals(1f, f3.get(1).activation());
        assertThrows(IllegalArgumentException.class, () -> top.top(5));
    }

    @Test
    void mergingEqualsOneStreamInAnyOrder() {
        float[][] p1 = {{1}, {6}}, p2 = {{4}, {0}, {6}}, p3 = {{2}};
        TopContexts all = new TopContexts(new int[] {0}, 3, 2);
        all.add(1, new int[] {1, 2}, p1);
        all.add(2, new int[] {3, 4, 5}, p2);
        all.add(3, new int[] {6}, p3);
        TopContexts left = new TopContexts(new int[] {0}, 3, 2), right = new TopContexts(new int[] {0}, 3, 2);
        right.add(3, new int[] {6}, p3);
        right.add(2, new int[] {3, 4, 5}, p2);
        left.add(1, new int[] {1, 2}, p1);
        right.merge(left);
        List<TopContexts.Context> a = all.top(0), b = right.top(0);
        assertEquals(3, a.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(a.get(i).promptId(), b.get(i).promptId());
            assertEquals(a.get(i).position(), b.get(i).position());
        }
        assertEquals(List.of(1L, 2L, 2L), a.stream().map(TopContexts.Context::promptId).toList());
        assertThrows(IllegalArgumentException.class, () -> all.merge(new TopContexts(new int[] {0}, 2, 2)));
    }

    @Test
    void activationsAreTheCrosscodersCodesOfThePairs() {
        Crosscoder cc = SteeringTest.crosscoder(16, 24, 4, 9);
        float[][] a = new float[5][], b = new float[5][];
        float[] pairs = new float[5 * 32];
        for (int p = 0; p < 5; p++) {
            a[p] = SteeringTest.gaussian(16, 100 + p);
            b[p] = SteeringTest.gaussian(16, 200 + p);
            System.arraycopy(a[p], 0, pairs, p * 32, 16);
            System.arraycopy(b[p], 0, pairs, p * 32 + 16, 16);
        }
        float[] dense = new BatchStep(cc, 1).encode(pairs, 5).features().toDense();
        int[] features = {0, 5, 17, 23};
        float[][] got = TopContexts.activations(cc, a, b, features, 1);
        for (int p = 0; p < 5; p++) for (int i = 0; i < 4; i++) assertEquals(dense[p * 24 + features[i]], got[p][i], 0f);
        assertThrows(IllegalArgumentException.class, () -> TopContexts.activations(cc, a, b, new int[] {24}, 1));
    }
}
