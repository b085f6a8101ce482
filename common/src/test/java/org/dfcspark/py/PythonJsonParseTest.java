package org.dfcspark.py;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Expected strings are what CPython 3 prints (repr / json.dumps(ensure_ascii=False)). */
class PythonJsonParseTest {

    @Test
    void floatsPrintAsPythonRepr() {
        double[] v = {0.1, 1e-05, 0.0001, 1e16, 1e15, 123456789012345678.0, 2.5e-7, -3.0, 1.0 / 3, 5e-324,
                1.7976931348623157e308, 100.0, 26.1, 0.30000000000000004, -0.0};
        String[] py = {"0.1", "1e-05", "0.0001", "1e+16", "1000000000000000.0", "1.2345678901234568e+17", "2.5e-07",
                "-3.0", "0.3333333333333333", "5e-324", "1.7976931348623157e+308", "100.0", "26.1",
                "0.30000000000000004", "-0.0"};
        for (int i = 0; i < v.length; i++) assertEquals(py[i], PyRepr.floatRepr(v[i]), "repr of " + v[i]);
    }

    @Test
    void dumpsLikePython() {
        Object parsed = PythonJson.parse("{\"a\": [1, 2.0, \"\u00e9\u2028\u007f\\u0001\\\"\\\\\\n\"], \"b\": null, \"c\": true}");
        assertEquals("{\"a\": [1, 2.0, \"\u00e9\u2028\u007f\\u0001\\\"\\\\\\n\"], \"b\": null, \"c\": true}", PythonJson.dumps(parsed));
        assertEquals("{\n  \"a\": [\n    1,\n    {\n      \"x\": []\n    },\n    {}\n  ],\n  \"b\": []\n}",
                PythonJson.dumps(PythonJson.parse("{\"a\":[1,{\"x\":[]},{}],\"b\":[]}"), 2));
        assertEquals("{\"\\u00e9\": \"\\u20ac\\u007f\\ud83d\\ude00~\"}",
                PythonJson.dumpsAscii(Map.of("\u00e9", "\u20ac\u007f\ud83d\ude00~")));
    }

    @Test
    void parseKeepsIntFloatDistinctionAndKeyOrder() {
        Map<?, ?> m = (Map<?, ?>) PythonJson.parse("{\"z\": 1, \"a\": 1.0, \"big\": 12345678901234567890, \"l\": 3000000000}");
        assertEquals(List.of("z", "a", "big", "l"), List.copyOf(m.keySet()));
        assertEquals(1, m.get("z"));
        assertEquals(1.0, m.get("a"));
        assertEquals(new BigInteger("12345678901234567890"), m.get("big"));
        assertEquals(3000000000L, m.get("l"));
        assertEquals("{\"z\": 1, \"a\": 1.0, \"big\": 12345678901234567890, \"l\": 3000000000}", PythonJson.dumps(m));
    }

    @Test
    void malformedJson() {
        var e = assertThrows(IllegalArgumentException.class, () -> PythonJson.parse("{\"a\": "));
        assertTrue(e.getMessage().startsWith("malformed JSON"), e.getMessage());
    }
}
