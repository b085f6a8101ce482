package org.dfcspark.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigInteger;
import java.util.Map;

/**
 * Reads JSON into plain Java values (LinkedHashMap, ArrayList, Integer/Long/BigInteger for JSON integers,
 * Double for JSON reals) so the int/float distinction survives a round trip. Writing goes through the one
 * Python-exact writer, {@link org.dfcspark.py.PythonJson#dumps}, so renders of these values are byte-exact.
 */
public final class PyJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private PyJson() {}

    /** Parses JSON text into plain Java values; throws IllegalArgumentException on malformed JSON. */
    public static Object parse(String json) {
        try {
            return narrowInts(MAPPER.readValue(json, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    // Integers come back as BigInteger (no overflow); shrink them to Integer/Long when they fit.
    @SuppressWarnings("unchecked")
    private static Object narrowInts(Object v) {
        if (v instanceof BigInteger b) {
            if (b.bitLength() < 32) return b.intValue();
            if (b.bitLength() < 64) return b.longValue();
            return b;
        }
        if (v instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).replaceAll((k, x) -> narrowInts(x));
            return m;
        }
        if (v instanceof java.util.List<?> l) {
            ((java.util.List<Object>) l).replaceAll(PyJson::narrowInts);
            return l;
        }
        return v;
    }
}
