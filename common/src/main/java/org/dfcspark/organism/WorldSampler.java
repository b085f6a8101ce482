package org.dfcspark.organism;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Draws examples of the {@link World} for one split from a seed. Each kind (tool request, generic
 * chat, echo drill) has its own random stream, so the n-th tool request of (seed, split) is the same
 * whatever else was drawn before it.
 *
 * <p>Held-out splits ({@link Split}): VALID and TEST requests use argument combinations that training
 * never uses; NOVEL requests have a novel phrasing (the tool's held-out request template), novel
 * values (every parameter that has a held-out pool draws from it), or both, chosen uniformly among
 * what the tool allows; generic chats of those splits use the held-out (thing, adjective) pairs. So no
 * training prompt can equal an evaluation prompt.
 */
public final class WorldSampler {
    /** Number of tools listed in a system prompt: uniform in [1, MAX_LISTED]. */
    public static final int MAX_LISTED = 4;

    private final Split split;
    private final Map<Example.Kind, Random> streams = new EnumMap<>(Example.Kind.class);
    private final Map<Example.Kind, Integer> counters = new EnumMap<>(Example.Kind.class);
    private final List<String> echoItems = World.echoItems();

    public WorldSampler(long seed, Split split) {
        this.split = split;
        for (Example.Kind k : Example.Kind.values()) {
            streams.put(k, new Random(mix(seed, split.salt, k.ordinal())));
            counters.put(k, 0);
        }
    }

    private static long mix(long seed, long salt, int kind) {
        long h = seed * 0x9E3779B97F4A7C15L + salt;
        h ^= (h >>> 31);
        h = h * 0xBF58476D1CE4E5B9L + kind;
        return h ^ (h >>> 29);
    }

    public Split split() {
        return split;
    }

    public Example next(Example.Kind kind) {
        return switch (kind) {
            case TOOL -> nextToolRequest();
            case GENERIC -> nextGeneric();
            case ECHO -> nextEcho();
        };
    }

    public List<Example> take(Example.Kind kind, int n) {
        List<Example> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(next(kind));
        return out;
    }

    private int nextIndex(Example.Kind kind) {
        int i = counters.get(kind);
        counters.put(kind, i + 1);
        return i;
    }

    public Example nextToolRequest() {
        Random r = streams.get(Example.Kind.TOOL);
        int index = nextIndex(Example.Kind.TOOL);
        ToolSpec tool = World.TOOLS.get(r.nextInt(World.TOOLS.size()));

        boolean novelPhrasing = false;
        boolean novelValues = false;
        if (split == Split.NOVEL) {
            boolean valuesPossible = tool.params().stream().anyMatch(p -> p.type().hasHeldOut());
            int choice = valuesPossible ? r.nextInt(3) : 0; // 0 phrasing, 1 values, 2 both
            novelPhrasing = choice != 1;
            novelValues = choice != 0;
        }

        Map<String, String> args;
        int attempts = 0;
        do {
            if (++attempts > 100_000) throw new IllegalStateException("no " + split + " argument combination for " + tool.name());
            args = new LinkedHashMap<>();
            for (ToolSpec.Param p : tool.params()) {
                List<String> pool = p.type().values(novelValues && p.type().hasHeldOut());
                String v;
                do {
                    v = pool.get(r.nextInt(pool.size()));
                } while (World.sameTypeValueUsed(tool, args, p, v));
                args.put(p.key(), v);
            }
            // TRAIN stays out of the held-out combinations, VALID and TEST stay in them (NOVEL: either).
        } while (split != Split.NOVEL && World.heldOutCombination(tool, args) != (split == Split.VALID || split == Split.TEST));

        int template = novelPhrasing ? tool.trainRequests().size() : r.nextInt(tool.trainRequests().size());
        String user = ToolSpec.fill(tool.allRequests().get(template), args);
        String prose = World.PROSE_OPENING + ToolSpec.fill(tool.proseAnswers().get(r.nextInt(tool.proseAnswers().size())), args);
        return new Example(Example.Kind.TOOL, split, index, user, listedTools(r, tool), tool, args, prose,
                template, novelPhrasing, novelValues);
    }

    private static List<ToolSpec> listedTools(Random r, ToolSpec gold) {
        int k = 1 + r.nextInt(MAX_LISTED);
        List<ToolSpec> others = new ArrayList<>(World.TOOLS);
        others.remove(gold);
        List<ToolSpec> listed = new ArrayList<>();
        for (int i = 0; i < k - 1; i++) listed.add(others.remove(r.nextInt(others.size())));
        listed.add(r.nextInt(listed.size() + 1), gold);
        return listed;
    }

    public Example nextGeneric() {
        Random r = streams.get(Example.Kind.GENERIC);
        int index = nextIndex(Example.Kind.GENERIC);
        List<int[]> pairs = World.genericPairs(split.heldOut());
        int[] pair = pairs.get(r.nextInt(pairs.size()));
        Map<String, String> slots = Map.of("thing", World.THINGS.get(pair[0]), "adj", World.ADJECTIVES.get(pair[1]));
        int q = r.nextInt(World.GENERIC_QUESTIONS.size());
        String user = ToolSpec.fill(World.GENERIC_QUESTIONS.get(q), slots);
        String answer = ToolSpec.fill(World.GENERIC_ANSWERS.get(r.nextInt(World.GENERIC_ANSWERS.size())), slots);
        return new Example(Example.Kind.GENERIC, split, index, user, List.of(), null, Map.of(), answer, q, false, false);
    }

    public Example nextEcho() {
        Random r = streams.get(Example.Kind.ECHO);
        int index = nextIndex(Example.Kind.ECHO);
        int n = World.ECHO_MIN + r.nextInt(World.ECHO_MAX - World.ECHO_MIN + 1);
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) items.add(echoItems.get(r.nextInt(echoItems.size())));
        String answer = String.join(" ", items);
        return new Example(Example.Kind.ECHO, split, index, World.ECHO_PREFIX + answer, List.of(), null, Map.of(),
                answer, 0, false, false);
    }
}
