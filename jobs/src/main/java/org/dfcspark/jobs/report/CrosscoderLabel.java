package org.dfcspark.jobs.report;

import java.util.Comparator;
import org.dfcspark.dfc.CrosscoderConfig;

/**
 * How the report groups a crosscoder: variant family ({@code cc} = no exclusive features, {@code dfc}), dictionary size
 * D, k and decoder coupling, read from its checkpoint's config.
 */
record CrosscoderLabel(String name, String family, int dictSize, int k, String coupling, double exclusivePct) {
    static final Comparator<CrosscoderLabel> ORDER = Comparator.comparing(CrosscoderLabel::family).thenComparing(CrosscoderLabel::coupling)
            .thenComparingInt(CrosscoderLabel::dictSize).thenComparingInt(CrosscoderLabel::k).thenComparing(CrosscoderLabel::name);

    static CrosscoderLabel of(String name, CrosscoderConfig c) {
        return new CrosscoderLabel(name, c.nA() + c.nB() > 0 ? "dfc" : "cc", c.dictSize(), c.k(), c.coupling().id(), 100.0 * c.nA() / c.dictSize());
    }

    /** The chart group: family and coupling. */
    String group() {
        return family + " · " + coupling;
    }

    /** {@code D128 k8 excl25%}. */
    String shape() {
        return "D" + dictSize + " k" + k + (family.equals("dfc") ? " excl" + Math.round(exclusivePct) + "%" : "");
    }
}
