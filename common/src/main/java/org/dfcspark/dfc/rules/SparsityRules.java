package org.dfcspark.dfc.rules;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.dfcspark.dfc.Sparsity;

/** The sparsity rules by name. Adding a rule = a {@link SparsityRule} class + one line here (+ its {@link Sparsity} name). */
public final class SparsityRules {
    private static final Map<String, Supplier<SparsityRule>> RULES = new LinkedHashMap<>();

    static {
        register("topk", TopKRule::new);
        register("batchtopk", BatchTopKRule::new);
        register("relu", ReluRule::new);
    }

    private SparsityRules() {}

    private static void register(String name, Supplier<SparsityRule> rule) {
        RULES.put(name, rule);
    }

    /** The rule called {@code name}; an unknown name is refused with the known ones. */
    public static SparsityRule named(String name) {
        Supplier<SparsityRule> rule = RULES.get(name);
        if (rule == null) throw new IllegalArgumentException("unknown sparsity rule '" + name + "' (known: " + names() + ")");
        return rule.get();
    }

    public static SparsityRule of(Sparsity sparsity) {
        return named(sparsity.id());
    }

    /** Registered names, in registration order. */
    public static List<String> names() {
        return List.copyOf(RULES.keySet());
    }
}
