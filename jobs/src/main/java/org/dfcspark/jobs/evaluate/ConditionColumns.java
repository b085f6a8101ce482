package org.dfcspark.jobs.evaluate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.dfcspark.eval.Condition;

/**
 * A condition as the tables' typed columns (never a parsed name): model, positions, mode, partition, alpha (the steering
 * coefficient: α for scale, β for add, c for clamp; null where unused), n_features, features, keep_error, side (whose
 * decoder is added), plus its stable {@code condition_key} for reading. A random-direction control carries the
 * columns of the steering condition it mirrors.
 */
final class ConditionColumns {
    private ConditionColumns() {}

    static void put(ObjectNode n, Condition c) {
        n.put("model", c.model().name()).put("positions", c.positions().id());
        Condition.Steer steer = c instanceof Condition.Steer s ? s : c instanceof Condition.RandomDirection r ? r.like() : null;
        if (steer != null) {
            n.put("mode", steer.mode().id()).put("partition", steer.group().id()).put("alpha", steer.coefficient()).put("n_features", steer.features().size())
                    .put("side", steer.decoderSide().name());
            var f = n.putArray("features");
            steer.features().forEach(f::add);
        } else {
            n.putNull("mode").putNull("partition").putNull("alpha").putNull("n_features").putNull("side").putNull("features");
        }
        if (c instanceof Condition.Reconstruction r) n.put("keep_error", r.keepError());
        else n.putNull("keep_error");
        n.put("condition_key", c.key());
    }
}
