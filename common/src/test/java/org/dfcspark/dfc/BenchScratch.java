package org.dfcspark.dfc;

public class BenchScratch {
    public static void main(String[] a) {
        var s = new CrosscoderBenchmark.Settings(512, 8192, 64, 1024, 2, Integer.parseInt(a.length > 0 ? a[0] : "5"), 2, 1);
        var r = CrosscoderBenchmark.run(s);
        System.out.println(r);
    }
}
