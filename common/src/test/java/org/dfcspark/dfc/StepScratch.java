package org.dfcspark.dfc;

public class StepScratch {
    public static void main(String[] a) throws Exception {
        int d = Integer.parseInt(a[0]), D = Integer.parseInt(a[1]), k = Integer.parseInt(a[2]), B = Integer.parseInt(a[3]), steps = Integer.parseInt(a[4]), threads = Integer.parseInt(a[5]);
        var data = SyntheticActivations.planted(d, 8, 8, 48, 0.06, 0.01, B * 4, 42);
        CrosscoderConfig cfg = CrosscoderConfig.paper(d, D, k, D / 4, D / 4);
        Crosscoder cc = new Crosscoder(cfg);
        Init.weights(cc, Init.Weights.PAPER, 1);
        var tr = new CrosscoderTrainer(cc, CrosscoderTrainer.Options.paper(1e-3), threads);
        float[] batch = new float[B * 2 * d];
        System.arraycopy(data.rows(), 0, batch, 0, batch.length);
        for (int i = 0; i < 200; i++) tr.step(batch, B);
        tr.timer().reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) tr.step(batch, B);
        System.out.printf("%.3f ms/step%n", (System.nanoTime() - t0) / 1e6 / steps);
        tr.timer().millis().forEach((kk, v) -> System.out.printf("  %-40s %.4f%n", kk, v / steps));
    }
}
