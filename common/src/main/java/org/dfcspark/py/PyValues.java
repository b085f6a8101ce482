package org.dfcspark.py;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python semantics of the JSON value model of {@link PythonJson}: {@code type()}, {@code ==}, {@code in},
 * {@code x[k]}, {@code len()}, iteration and truth. The ported scorers call these exactly where the original
 * code uses the operator, so a value of an unexpected type fails (with the same exception type) where Python
 * fails.
 */
public final class PyValues {
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private PyValues() {}

    /** A Python int as the smallest Java type that holds it ({@code Long}, else {@code BigInteger}). */
    public static Object normalizeInt(BigInteger v) {
        return v.compareTo(LONG_MIN) >= 0 && v.compareTo(LONG_MAX) <= 0 ? (Object) v.longValue() : v;
    }

    /** True for a Python int (not bool). */
    public static boolean isInt(Object v) {
        return v instanceof Long || v instanceof BigInteger || v instanceof Integer;
    }

    /** {@code type(v).__name__}. */
    public static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof Boolean) return "bool";
        if (isInt(v)) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        throw new IllegalArgumentException("not a Python JSON value: " + v.getClass().getName());
    }

    /** {@code type(a) == type(b)}. */
    public static boolean sameType(Object a, Object b) {
        return typeName(a).equals(typeName(b));
    }

    private static boolean isNumber(Object v) {
        return v instanceof Boolean || isInt(v) || v instanceof Double;
    }

    private static BigInteger integral(Object v) {
        if (v instanceof Boolean b) return b ? BigInteger.ONE : BigInteger.ZERO;
        if (v instanceof BigInteger bi) return bi;
        return BigInteger.valueOf(((Number) v).longValue());
    }

    /** Python {@code a == b} for JSON values: bool/int/float compare by exact value, NaN equals nothing. */
    public static boolean eq(Object a, Object b) {
        if (a == null || b == null) return a == null && b == null;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                if (a instanceof Double da && b instanceof Double db) return da.doubleValue() == db.doubleValue();
                double d = a instanceof Double da ? da : (Double) b;
                Object other = a instanceof Double ? b : a;
                if (Double.isNaN(d) || Double.isInfinite(d)) return false;
                return new BigDecimal(d).compareTo(new BigDecimal(integral(other))) == 0;
            }
            return integral(a).equals(integral(b));
        }
        if (a instanceof String sa) return b instanceof String && sa.equals(b);
        if (a instanceof List<?> la) {
            if (!(b instanceof List<?> lb) || la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!eq(la.get(i), lb.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> ma) {
            if (!(b instanceof Map<?, ?> mb) || ma.size() != mb.size()) return false;
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) return false;
            }
            return true;
        }
        return false;
    }

    /** Raises TypeError for unhashable values (list, dict), as using them as a dict key or set member does. */
    public static void requireHashable(Object v) {
        if (v instanceof List || v instanceof Map) throw PyError.typeError("unhashable type: '" + typeName(v) + "'");
    }

    /** Python {@code item in container}. */
    public static boolean contains(Object container, Object item) {
        if (container instanceof List<?> list) {
            for (Object e : list) if (eq(e, item)) return true;
            return false;
        }
        if (container instanceof Map<?, ?> map) {
            requireHashable(item);
            return item instanceof String && map.containsKey(item);
        }
        if (container instanceof String s) {
            if (!(item instanceof String sub)) {
                throw PyError.typeError("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(sub);
        }
        throw PyError.typeError("argument of type '" + typeName(container) + "' is not iterable");
    }

    /** Python {@code container[key]}. */
    public static Object getItem(Object container, Object key) {
        if (container instanceof Map<?, ?> map) {
            requireHashable(key);
            if (key instanceof String && map.containsKey(key)) return map.get(key);
            throw PyError.keyError(key);
        }
        if (container instanceof List<?> list) {
            int i = index(key, list.size(), "list");
            return list.get(i);
        }
        if (container instanceof String s) {
            int[] cps = s.codePoints().toArray();
            int i = index(key, cps.length, "string");
            return new String(cps, i, 1);
        }
        throw PyError.typeError("'" + typeName(container) + "' object is not subscriptable");
    }

    private static int index(Object key, int size, String what) {
        if (!(key instanceof Boolean) && !isInt(key)) {
            throw PyError.typeError(what + " indices must be integers or slices, not " + typeName(key));
        }
        BigInteger k = integral(key);
        if (k.signum() < 0) k = k.add(BigInteger.valueOf(size));
        if (k.signum() < 0 || k.compareTo(BigInteger.valueOf(size)) >= 0) {
            throw new PyError("IndexError", what + " index out of range");
        }
        return k.intValue();
    }

    /** Python {@code len(v)}. */
    public static int len(Object v) {
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        throw PyError.typeError("object of type '" + typeName(v) + "' has no len()");
    }

    /** Python {@code list(v)}: list items, dict keys, or the characters of a str. */
    public static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) return new ArrayList<>(l);
        if (v instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        throw PyError.typeError("'" + typeName(v) + "' object is not iterable");
    }

    /** {@code d.items()} / {@code d.keys()} need a dict; anything else is an AttributeError. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asDict(Object v, String method) {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw PyError.attributeError(v, method);
    }

    /** Python truth value. */
    public static boolean truthy(Object v) {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Double d) return d != 0.0;
        if (isInt(v)) return integral(v).signum() != 0;
        return len(v) != 0;
    }

    /** {@code float(v)} for a Python int; raises OverflowError past the double range, like Python. */
    public static double intToFloat(Object v) {
        BigInteger bi = integral(v);
        double d = bi.doubleValue();
        if (Double.isInfinite(d)) throw new PyError("OverflowError", "int too large to convert to float");
        return d;
    }
}
