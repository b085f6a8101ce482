package org.dfcspark.dfc.rules;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.dfcspark.dfc.LossKind;

/** The losses by name. Adding a loss = a {@link LossRule} class + one line here (+ its {@link LossKind} name). */
public final class LossRules {
    private static final Map<String, Supplier<LossRule>> RULES = new LinkedHashMap<>();

    static {
        register("paper", PaperLoss::new);
        register("reference", ReferenceLoss::new);
        register("anthropic", AnthropicLoss::new);
    }

    private LossRules() {}

    private static void register(String name, Supplier<LossRule> rule) {
        RULES.put(name, rule);
    }

    /** The loss called {@code name}; an unknown name is refused with the known ones. */
    public static LossRule named(String name) {
        Supplier<LossRule> rule = RULES.get(name);
        if (rule == null) throw new IllegalArgumentException("unknown loss '" + name + "' (known: " + names() + ")");
        return rule.get();
    }

    public static LossRule of(LossKind kind) {
        return named(kind.id());
    }

    /** Registered names, in registration order. */
    public static List<String> names() {
        return List.copyOf(RULES.keySet());
    }
}
