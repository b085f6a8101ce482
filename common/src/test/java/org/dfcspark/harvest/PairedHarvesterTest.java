package org.dfcspark.harvest;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.dfcspark.data.ActivationCodec;
import org.dfcspark.data.ProjectPaths;
import org.dfcspark.model.ForwardResult;
import org.dfcspark.model.HookPoint;
import org.dfcspark.model.Intervention;
import org.dfcspark.model.Positions;
import org.dfcspark.model.Qwen2Config;
import org.dfcspark.model.Qwen2Model;
import org.dfcspark.model.TokenBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harvest's compute step on the tiny Qwen2 checkpoint (A) and a random model of the same shape (B). */
class PairedHarvesterTest {
    private static final List<Integer> LAYERS = List.of(0, 2);
    private static Qwen2Model a;
    private static Qwen2Model b;
    private static Qwen2Config cfg;

    @BeforeAll
    static void load() throws IOException {
        a = Qwen2Model.load(ProjectPaths.data("models/qwen2-tiny"), Device.cpu());
        cfg = a.config();
        b = Qwen2Model.random(cfg, Device.cpu(), 11);
    }

    @AfterAll
    static void close() {
        a.close();
        b.close();
    }

    private static List<PreparedSequence> sequences(PositionMode mode, int... lengths) {
        Random r = new Random(5);
        PositionPlanner planner = new PositionPlanner(mode, 64, TruncationSide.RIGHT, Set.of(), -1, -1);
        List<PreparedSequence> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] ids = r.ints(lengths[i], 0, 500).toArray();
            out.add(planner.plan(i, "p" + i, "test", ids, new int[0]));
        }
        return out;
    }

    private static List<ActivationRow> harvest(Qwen2Model ma, Qwen2Model mb, List<PreparedSequence> seqs, ActivationCodec codec,
                                               SinkDetector sinks, SinkPolicy policy, HarvestCounts counts) throws IOException {
        List<ActivationRow> rows = new ArrayList<>();
        new PairedHarvester(ma, mb, LAYERS, codec, sinks, policy, 0).harvest(seqs, rows::add, counts);
        return rows;
    }

    private static final Map<String, float[][]> DIRECT = new HashMap<>();

    /** Residual after decoder layer L of one unpadded sequence, from a plain forward with logits: (T, d). */
    private static float[][] direct(Qwen2Model m, int[] ids, int layer) {
        return DIRECT.computeIfAbsent(System.identityHashCode(m) + "/" + Arrays.toString(ids) + "/" + layer, k -> {
            try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
                HookPoint hp = HookPoint.residPost(layer);
                ForwardResult r = m.forward(scope, TokenBatch.leftPadded(List.of(ids), 0), List.of(Intervention.capture(hp, Positions.all())));
                float[] flat = r.captured(hp).toFloatArray();
                int d = flat.length / ids.length;
                float[][] out = new float[ids.length][];
                for (int t = 0; t < ids.length; t++) out[t] = Arrays.copyOfRange(flat, t * d, (t + 1) * d);
                return out;
            }
        });
    }

    @Test
    void rowsEqualADirectForwardOfEachSequenceAlone() throws IOException {
        List<PreparedSequence> seqs = sequences(PositionMode.ALL, 5, 14, 9);
        HarvestCounts counts = new HarvestCounts();
        List<ActivationRow> rows = harvest(a, b, seqs, ActivationCodec.F32, new SinkDetector(0), SinkPolicy.DROP, counts);
        assertEquals(2 * (5 + 14 + 9), rows.size());
        assertEquals(3, counts.prompts);
        assertEquals(28, counts.tokens);
        assertEquals(28, counts.layer(2).rows);

        double maxDiff = 0;
        for (ActivationRow row : rows) {
            PreparedSequence s = seqs.get((int) (row.sampleId() >> PreparedSequence.POSITION_BITS));
            assertEquals(s.promptId(), row.promptId());
            assertEquals(s.ids()[row.position()], row.tokenId());
            assertNull(row.inToolCall(), "markers unknown -> flag unknown");
            float[] wantA = direct(a, s.ids(), row.layer())[row.position()];
            float[] wantB = direct(b, s.ids(), row.layer())[row.position()];
            for (int j = 0; j < wantA.length; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(wantA[j] - row.a()[j]));
                maxDiff = Math.max(maxDiff, Math.abs(wantB[j] - row.b()[j]));
            }
        }
        assertTrue(maxDiff < 1e-4, "max |batched harvest - direct forward| = " + maxDiff);
        // The two models really differ, so a swap of A and B would be caught.
        ActivationRow r0 = rows.get(0);
        assertNotEquals(r0.a()[0], r0.b()[0]);
    }

    @Test
    void lastModeGivesOneRowPerPromptAndLayer() throws IOException {
        List<PreparedSequence> seqs = sequences(PositionMode.LAST, 3, 7, 1, 12);
        List<ActivationRow> rows = harvest(a, b, seqs, ActivationCodec.F16, new SinkDetector(0), SinkPolicy.DROP, new HarvestCounts());
        assertEquals(seqs.size() * LAYERS.size(), rows.size());
        for (ActivationRow row : rows) {
            PreparedSequence s = seqs.get((int) (row.sampleId() >> PreparedSequence.POSITION_BITS));
            assertEquals(s.length() - 1, row.position());
            float[] want = direct(a, s.ids(), row.layer())[row.position()];
            for (int j = 0; j < want.length; j++) assertEquals(want[j], row.a()[j], 1e-4, "f16 rows carry the f32 values until written");
        }
    }

    @Test
    void sinkPositionsAreDroppedOrFlagged() throws IOException {
        List<PreparedSequence> seqs = sequences(PositionMode.ALL, 12);
        int[] ids = seqs.get(0).ids();
        HarvestCounts none = new HarvestCounts();
        List<ActivationRow> all = harvest(a, b, seqs, ActivationCodec.F32, new SinkDetector(0), SinkPolicy.DROP, none);
        // A factor a bit above 1 makes the largest-norm positions "sinks" in a model without real sinks.
        SinkDetector tight = new SinkDetector(1.1);
        HarvestCounts flagged = new HarvestCounts();
        List<ActivationRow> flaggedRows = harvest(a, b, seqs, ActivationCodec.F32, tight, SinkPolicy.FLAG, flagged);
        HarvestCounts dropped = new HarvestCounts();
        List<ActivationRow> droppedRows = harvest(a, b, seqs, ActivationCodec.F32, tight, SinkPolicy.DROP, dropped);

        long sinkRows = flaggedRows.stream().filter(ActivationRow::sink).count();
        assertTrue(sinkRows > 0 && sinkRows < all.size(), "some but not all positions exceed 1.1x the median: " + sinkRows);
        assertEquals(all.size(), flaggedRows.size());
        assertEquals(all.size() - sinkRows, droppedRows.size());
        assertEquals(sinkRows, dropped.layer(0).sinks + dropped.layer(2).sinks);
        assertTrue(droppedRows.stream().noneMatch(ActivationRow::sink));
        // The flag agrees with the rule: norm above 1.1 x the sequence's median norm, in A or in B.
        for (int layer : LAYERS) {
            float[][] da = direct(a, ids, layer);
            float[][] db = direct(b, ids, layer);
            boolean[] sa = tight.sinks(norms(da));
            boolean[] sb = tight.sinks(norms(db));
            for (ActivationRow r : flaggedRows) if (r.layer() == layer) assertEquals(sa[r.position()] || sb[r.position()], r.sink());
        }
    }

    @Test
    void nonFiniteAndOverflowingPositionsAreCountedNeverEmitted() throws IOException {
        List<PreparedSequence> seqs = sequences(PositionMode.ALL, 6, 4);
        try (Qwen2Model broken = Qwen2Model.random(cfg, Device.cpu(), 12)) {
            // A NaN weight in layer 1's MLP: layer 0 stays finite, layer 2 (after it) is NaN everywhere.
            broken.parameters().get("model.layers.1.mlp.down_proj.weight").set(new NDIndex("0, 0"), Float.NaN);
            HarvestCounts counts = new HarvestCounts();
            List<ActivationRow> rows = harvest(a, broken, seqs, ActivationCodec.F16, new SinkDetector(0), SinkPolicy.DROP, counts);
            assertEquals(10, counts.layer(0).rows);
            assertEquals(0, counts.layer(2).rows);
            assertEquals(10, counts.layer(2).nonfinite);
            assertTrue(rows.stream().allMatch(r -> r.layer() == 0));
            assertTrue(counts.nonfiniteExamples.get(0).matches("prompt p\\d position \\d+ layer 2 model B: NaN/Inf"),
                    counts.nonfiniteExamples.get(0));
        }
        try (Qwen2Model loud = Qwen2Model.random(cfg, Device.cpu(), 13)) {
            // Embeddings x 1e8: the residual stream leaves the f16 range (but not f32's).
            loud.parameters().get("model.embed_tokens.weight").muli(1e8f);
            HarvestCounts f16 = new HarvestCounts();
            assertTrue(harvest(a, loud, seqs, ActivationCodec.F16, new SinkDetector(0), SinkPolicy.DROP, f16).isEmpty());
            assertEquals(10, f16.layer(0).overflow);
            HarvestCounts f32 = new HarvestCounts();
            assertEquals(20, harvest(a, loud, seqs, ActivationCodec.F32, new SinkDetector(0), SinkPolicy.DROP, f32).size());
        }
    }

    @Test
    void emptySequencesAreCountedWithoutAForward() throws IOException {
        PositionPlanner special = new PositionPlanner(PositionMode.ALL, 64, TruncationSide.RIGHT, Set.of(7), -1, -1);
        List<PreparedSequence> seqs = List.of(special.plan(0, "only-special", "t", new int[] {7, 7}, new int[0]));
        HarvestCounts counts = new HarvestCounts();
        assertTrue(harvest(a, b, seqs, ActivationCodec.F16, new SinkDetector(100), SinkPolicy.DROP, counts).isEmpty());
        assertEquals(1, counts.prompts);
        assertEquals(1, counts.empty);
        assertEquals(0, counts.tokens);
        assertThrows(IllegalArgumentException.class,
                () -> new PairedHarvester(a, b, List.of(3), ActivationCodec.F16, new SinkDetector(0), SinkPolicy.DROP, 0));
    }

    private static float[] norms(float[][] x) {
        float[] n = new float[x.length];
        for (int t = 0; t < x.length; t++) {
            double s = 0;
            for (float v : x[t]) s += (double) v * v;
            n[t] = (float) Math.sqrt(s);
        }
        return n;
    }
}
