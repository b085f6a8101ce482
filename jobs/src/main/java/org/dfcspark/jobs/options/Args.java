package org.dfcspark.jobs.options;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GNU-style flags: {@code --name value}, {@code --name=value}, repeatable flags, boolean switches.
 * Every flag a command reads must be declared; anything else is a {@link UsageException} (exit 2).
 */
public final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final boolean help;

    private Args(boolean help) {
        this.help = help;
    }

    /**
     * @param valued   flags that take a value (without the leading dashes)
     * @param switches flags that take no value
     */
    public static Args parse(String[] argv, Set<String> valued, Set<String> switches) {
        boolean help = false;
        List<String> pos = new ArrayList<>();
        Map<String, List<String>> vals = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String tok = argv[i];
            if (tok.equals("--help") || tok.equals("-h")) {
                help = true;
                continue;
            }
            if (!tok.startsWith("--")) {
                pos.add(tok);
                continue;
            }
            String name = tok.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (value != null) throw new UsageException("flag --" + name + " takes no value");
                vals.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length) throw new UsageException("flag --" + name + " needs a value");
                    value = argv[++i];
                }
                vals.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageException("unknown flag --" + name);
            }
        }
        Args a = new Args(help);
        a.values.putAll(vals);
        a.positional.addAll(pos);
        return a;
    }

    public boolean help() {
        return help;
    }

    public List<String> positional() {
        return positional;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    /** Last value given for the flag, or null. */
    public String get(String name) {
        List<String> v = values.get(name);
        return v == null ? null : v.get(v.size() - 1);
    }

    public String get(String name, String dflt) {
        String v = get(name);
        return v == null ? dflt : v;
    }

    public String require(String name) {
        String v = get(name);
        if (v == null) throw new UsageException("missing required flag --" + name);
        return v;
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public int getInt(String name, int dflt) {
        String v = get(name);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("flag --" + name + " expects an integer, got '" + v + "'");
        }
    }

    public long getLong(String name, long dflt) {
        String v = get(name);
        if (v == null) return dflt;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("flag --" + name + " expects an integer, got '" + v + "'");
        }
    }

    public double getDouble(String name, double dflt) {
        String v = get(name);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("flag --" + name + " expects a number, got '" + v + "'");
        }
    }
}
