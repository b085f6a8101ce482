package org.dfcspark.model;

import static org.dfcspark.model.TinyFixture.*;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The float16 path (meant for GPUs; libtorch runs it on CPU too, which is what CI can check): weights narrowed in
 * Java, RMSNorm and softmax in float32 as HF does, logits close to the float32 references, same greedy tokens.
 */
class Float16Test {
    @Test
    void float16ModelTracksFloat32References() throws IOException {
        try (Qwen2Model m = Qwen2Model.load(f32Dir(), Device.cpu(), DataType.FLOAT16); NDManager scope = NDManager.newBaseManager()) {
            assertEquals(DataType.FLOAT16, m.parameters().get("model.norm.weight").getDataType());
            for (int s = 1; s <= 3; s++) {
                float[] got = m.forward(scope, TokenBatch.leftPadded(List.of(ints("seq" + s + ".input_ids")), 511), List.of())
                        .logits().toType(DataType.FLOAT32, false).toFloatArray();
                float[] want = floats("f32.seq" + s + ".logits");
                double max = 0;
                for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
                assertTrue(max < 0.05, "seq" + s + " fp16 logits max abs diff " + max);
            }
            List<int[]> prompts = List.of(ints("seq1.input_ids"), ints("seq2.input_ids"), ints("seq3.input_ids"));
            GenerationResult r = Generator.generate(m, prompts, GenerationConfig.forModel(f32Dir(), 12), List.of());
            int[] want = ints("batch.new_tokens");
            for (int b = 0; b < 3; b++) assertArrayEquals(Arrays.copyOfRange(want, b * 12, b * 12 + 12), r.generated(b), "row " + b);
        }
    }
}
