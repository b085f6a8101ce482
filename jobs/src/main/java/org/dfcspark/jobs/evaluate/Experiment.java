package org.dfcspark.jobs.evaluate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dfcspark.eval.EditPositions;
import org.dfcspark.eval.FeatureGroup;
import org.dfcspark.eval.Side;
import org.dfcspark.eval.SteeringMode;

/**
 * One entry of the config's {@code experiments} list, as typed data. {@link ConditionPlan} expands it into
 * {@link org.dfcspark.eval.Condition}s once a crosscoder's feature ranking is known.
 */
public sealed interface Experiment extends Serializable {
    /** clean | reconstruction | steering | control: the {@code experiment} column. */
    String type();

    /** The unedited models. */
    record Clean(List<Side> models) implements Experiment {
        public String type() {
            return "clean";
        }
    }

    /** Each model's residual replaced by its reconstruction, once per keep_error value. */
    record Reconstruction(List<Side> models, EditPositions positions, List<Boolean> keepError) implements Experiment {
        public String type() {
            return "reconstruction";
        }
    }

    /**
     * The top tool-signed features of a partition, |S| from {@code sizes}, times each coefficient (alphas for scale,
     * betas for add, cs for clamp); {@code side} is whose decoder is added (add mode; the model's own otherwise).
     */
    record Steering(Side model, FeatureGroup partition, SteeringMode mode, Side side, List<Double> coefficients,
                    List<Integer> sizes, EditPositions positions) implements Experiment {
        public String type() {
            return "steering";
        }
    }

    /** A random direction of the same norm at the same positions as every steering condition of the same model. */
    record Control(Side model) implements Experiment {
        public String type() {
            return "control";
        }
    }

    /** One config object; unknown keys and bad values are refused naming the experiment's position. */
    static Experiment parse(Config c, int index) {
        String where = "experiments[" + index + "]";
        try {
            String type = c.getString("type");
            return switch (type) {
                case "clean" -> {
                    allowed(c, where, Set.of("type", "models"));
                    yield new Clean(sides(c, "models"));
                }
                case "reconstruction" -> {
                    allowed(c, where, Set.of("type", "models", "positions", "keep_error"));
                    yield new Reconstruction(sides(c, "models"), positions(c), keepError(c));
                }
                case "steering" -> steering(c, where);
                case "control" -> {
                    allowed(c, where, Set.of("type", "model", "kind", "like"));
                    String kind = c.getString("kind"), like = c.hasPath("like") ? c.getString("like") : "steering";
                    if (!kind.equals("random_direction")) throw new IllegalArgumentException(where + ": control kind must be random_direction, got '" + kind + "'");
                    if (!like.equals("steering")) throw new IllegalArgumentException(where + ": control like must be steering, got '" + like + "'");
                    yield new Control(Side.parse(c.getString("model")));
                }
                default -> throw new IllegalArgumentException(where + ": type must be clean, reconstruction, steering or control, got '" + type + "'");
            };
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage().replaceFirst("^[^:]*: ", ""));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static Steering steering(Config c, String where) {
        SteeringMode mode = SteeringMode.parse(c.getString("mode"));
        String coefficients = switch (mode) {
            case SCALE -> "alphas";
            case ADD -> "betas";
            case CLAMP -> "cs";
        };
        allowed(c, where, Set.of("type", "model", "partition", "mode", "side", coefficients, "sizes", "positions"));
        Side model = Side.parse(c.getString("model"));
        Side side = c.hasPath("side") ? Side.parse(c.getString("side")) : model;
        if (mode != SteeringMode.ADD && side != model) {
            throw new IllegalArgumentException(where + ": " + mode.id() + " acts on the model's own decoder; side " + side + " differs from model " + model);
        }
        FeatureGroup partition = FeatureGroup.parse(c.getString("partition"));
        if ((partition == FeatureGroup.A_EXCLUSIVE && side == Side.B) || (partition == FeatureGroup.B_EXCLUSIVE && side == Side.A)) {
            throw new IllegalArgumentException(where + ": " + partition.id() + " features have no decoder for model " + side
                    + (mode == SteeringMode.ADD ? "; set side to the features' own model" : " (" + mode.id() + " uses the steered model's own decoder; add mode can name the other side)"));
        }
        List<Integer> sizes = c.getIntList("sizes");
        for (int s : sizes) if (s < 1) throw new IllegalArgumentException(where + ": sizes must be >= 1, got " + s);
        List<Double> coef = c.getDoubleList(coefficients);
        if (coef.isEmpty() || sizes.isEmpty()) throw new IllegalArgumentException(where + ": " + coefficients + " and sizes must not be empty");
        return new Steering(model, partition, mode, side, List.copyOf(coef), List.copyOf(sizes), positions(c));
    }

    private static void allowed(Config c, String where, Set<String> keys) {
        for (String k : c.root().keySet()) {
            if (!keys.contains(k)) throw new IllegalArgumentException(where + ": unknown key '" + k + "' for type " + c.getString("type") + " (known: " + keys + ")");
        }
    }

    private static List<Side> sides(Config c, String key) {
        List<Side> out = new ArrayList<>();
        for (String s : c.getStringList(key)) out.add(Side.parse(s));
        if (out.isEmpty()) throw new IllegalArgumentException(key + " must not be empty");
        return List.copyOf(out);
    }

    private static EditPositions positions(Config c) {
        return c.hasPath("positions") ? EditPositions.parse(c.getString("positions")) : EditPositions.LAST;
    }

    private static List<Boolean> keepError(Config c) {
        if (!c.hasPath("keep_error")) return List.of(false);
        if (c.getValue("keep_error").valueType() == ConfigValueType.LIST) return List.copyOf(c.getBooleanList("keep_error"));
        return List.of(c.getBoolean("keep_error"));
    }
}
