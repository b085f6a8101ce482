package org.dfcspark.data;

import org.dfcspark.py.PythonJson;

import java.util.List;
import java.util.Map;

/** Typed access to the fields of a parsed input item; a wrong or missing field is a {@link BadRowException}. */
final class JsonFields {
    private JsonFields() {}

    static Map<?, ?> object(String json) throws BadRowException {
        Object o;
        try {
            o = PythonJson.parse(json);
        } catch (IllegalArgumentException e) {
            throw new BadRowException(e.getMessage());
        }
        if (!(o instanceof Map<?, ?> m)) throw new BadRowException("not a JSON object");
        return m;
    }

    static Object parse(String json, String what) throws BadRowException {
        try {
            return PythonJson.parse(json);
        } catch (IllegalArgumentException e) {
            throw new BadRowException(what + ": " + e.getMessage());
        }
    }

    static String string(Map<?, ?> m, String key) throws BadRowException {
        Object v = m.get(key);
        if (!(v instanceof String s)) throw new BadRowException(missing(key, v, "a string"));
        return s;
    }

    static Map<?, ?> object(Map<?, ?> m, String key) throws BadRowException {
        Object v = m.get(key);
        if (!(v instanceof Map<?, ?> o)) throw new BadRowException(missing(key, v, "an object"));
        return o;
    }

    static List<?> list(Map<?, ?> m, String key) throws BadRowException {
        Object v = m.get(key);
        if (!(v instanceof List<?> l)) throw new BadRowException(missing(key, v, "a list"));
        return l;
    }

    private static String missing(String key, Object v, String expected) {
        return v == null ? "no \"" + key + "\" field" : "\"" + key + "\" is not " + expected;
    }
}
