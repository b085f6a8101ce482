package org.dfcspark.dfc.sweep;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import org.dfcspark.dfc.train.TrainConfig;

/**
 * One crosscoder of a sweep at one hook: its name (from the grid's pattern), its complete training config, the values
 * of the grid axes that made it (training keys → typed values) and its labels (strings from the grid's records, such
 * as {@code family = dfc}).
 */
public record Variant(String name, String hook, TrainConfig config, Map<String, Object> axes, Map<String, String> labels)
        implements Serializable {

    /** Unique within a sweep: the name, and the hook when the grid has several. */
    public String id() {
        return name + "@" + hook;
    }

    /** {@code OUT/variants/NAME/}, or {@code OUT/variants/NAME/HOOK/} when the grid has several hooks. */
    public Path dir(Path out, boolean severalHooks) {
        Path d = out.resolve("variants").resolve(name);
        return severalHooks ? d.resolve(hook) : d;
    }
}
