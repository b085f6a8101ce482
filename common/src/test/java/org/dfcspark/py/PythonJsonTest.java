package org.dfcspark.py;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PythonJsonTest {

    @Test
    void numbersKeepPythonsIntFloatDistinction() {
        assertEquals(2L, PythonJson.loads("2"));
        assertEquals(2.0, PythonJson.loads("2.0"));
        assertEquals(100000.0, PythonJson.loads("1E5"));
        assertEquals(0L, PythonJson.loads("-0"));
        assertEquals(new BigInteger("123456789012345678901234567890"), PythonJson.loads("123456789012345678901234567890"));
        assertTrue(Double.isNaN((Double) PythonJson.loads("NaN")));
        assertEquals(Double.NEGATIVE_INFINITY, PythonJson.loads("-Infinity"));
        assertEquals(Double.POSITIVE_INFINITY, PythonJson.loads("1e400"));
    }

    @Test
    void objectsKeepOrderAndLastDuplicateWins() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) PythonJson.loads("{\"b\": 1, \"a\": 2, \"b\": 3}");
        assertEquals(List.of("b", "a"), List.copyOf(m.keySet()));
        assertEquals(3L, m.get("b"));
        assertEquals(Arrays.asList(true, false, null, "x\u00e9\ud83d\ude00\ud800"),
                PythonJson.loads(" [true, false, null, \"x\\u00e9\\ud83d\\ude00\\ud800\"] "));
    }

    @Test
    void rejectsWhatPythonRejects() {
        for (String bad : List.of("", "[1,]", "{'a': 1}", "01", "1.", "+1", "-NaN", "infinity", "\ufeff{}", "{\"a\" 1}",
                "\"a\u0001\"", "\"\\x\"", "[1] 2", "\"abc", "\u00a0 1")) {
            PyError e = assertThrows(PyError.class, () -> PythonJson.loads(bad), bad);
            assertEquals("JSONDecodeError", e.type(), bad);
        }
        assertEquals("Expecting value: line 1 column 1 (char 0)", assertThrows(PyError.class, () -> PythonJson.loads("")).getMessage());
        assertEquals("Extra data: line 3 column 1 (char 4)", assertThrows(PyError.class, () -> PythonJson.loads("{}\n\n{}")).getMessage());
        assertEquals("RecursionError", assertThrows(PyError.class, () -> PythonJson.loads("[".repeat(2000))).type());
        assertEquals("ValueError", assertThrows(PyError.class, () -> PythonJson.loads("1".repeat(4301))).type());
    }

    @Test
    void dumpsWritesPythonStyle() {
        Object v = PythonJson.loads("{\"a\": [1, 2.0, -1.2000000000000002, 1e-05, 1e16, 1e22, 0.0001, 5e-324, true, null], \"s\": \"é\\n\\\"\"}");
        assertEquals("{\"a\": [1, 2.0, -1.2000000000000002, 1e-05, 1e+16, 1e+22, 0.0001, 5e-324, true, null], \"s\": \"é\\n\\\"\"}",
                PythonJson.dumps(v));
        assertEquals("[NaN, Infinity, -Infinity]", PythonJson.dumps(Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
    }

    @Test
    void reprAndEqualityFollowPython() {
        assertEquals("{'a': [1, 2.5, True, None], 'b': \"it's\"}",
                PyRepr.repr(PythonJson.loads("{\"a\": [1, 2.5, true, null], \"b\": \"it's\"}")));
        assertEquals("'\\x1c\\n\\u2028é'", PyRepr.repr("\u001c\n\u2028é"));
        assertEquals("1234567890123456.0", PyRepr.floatRepr(1234567890123456.0));
        assertEquals("0.1", PyRepr.floatRepr(0.1));
        assertEquals("100.0", PyRepr.floatRepr(100.0));
        // A power of two has a lopsided rounding interval: the shortest repr is the farther 16-digit neighbour.
        assertEquals("7.120236347223045e-307", PyRepr.floatRepr(Math.scalb(1.0, -1017)));
        assertTrue(PyValues.eq(1L, 1.0) && PyValues.eq(true, 1L) && PyValues.eq(List.of(1L), List.of(1.0)));
        assertFalse(PyValues.eq(Double.NaN, Double.NaN));
        assertFalse(PyValues.eq(new BigInteger("10000000000000000000000000000000"), 1e31));
        assertFalse(PyValues.eq("1", 1L));
        assertEquals("TypeError", assertThrows(PyError.class, () -> PyValues.getItem(List.of(1L), "name")).type());
        assertEquals("KeyError", assertThrows(PyError.class, () -> PyValues.getItem(Map.of(), "name")).type());
        assertEquals("'name'", assertThrows(PyError.class, () -> PyValues.getItem(Map.of(), "name")).getMessage());
    }

    @Test
    void pythonStringAndNumberHelpers() {
        assertEquals("a b", PyStrings.strip("\u00a0\u2003\u001c a b \u3000\n"));
        assertEquals(2, PyStrings.count("<a><a>x<a", "<a>"));
        assertEquals(12L, PyNumbers.parseInt(" 1_2\n"));
        assertEquals(3L, PyNumbers.parseInt("\u0663"));
        assertEquals(1.5, PyNumbers.parseFloat(" 1.5 "));
        assertEquals(Double.NEGATIVE_INFINITY, PyNumbers.parseFloat("-iNF"));
        assertEquals("ValueError", assertThrows(PyError.class, () -> PyNumbers.parseInt("0x10")).type());
        assertEquals("ValueError", assertThrows(PyError.class, () -> PyNumbers.parseFloat("1d")).type());
    }
}
