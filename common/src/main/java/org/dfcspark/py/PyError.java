package org.dfcspark.py;

/**
 * A Python exception raised by one of the ported functions (KeyError, TypeError, JSONDecodeError, ...).
 * The faithful scorers need to know <em>whether</em> and <em>which</em> exception the original raised,
 * because their verdicts depend on it (ToolRL's bare {@code except}, BFCL's decode failures).
 */
public final class PyError extends RuntimeException {
    private final String type;

    public PyError(String type, String message) {
        super(message);
        this.type = type;
    }

    /** The Python exception class name, e.g. {@code "KeyError"}. */
    public String type() {
        return type;
    }

    /** {@code str(e)} as Python prints it. */
    public String pythonMessage() {
        return getMessage();
    }

    public static PyError typeError(String message) {
        return new PyError("TypeError", message);
    }

    /** {@code KeyError(key)}; Python's {@code str()} of it is the key's repr. */
    public static PyError keyError(Object key) {
        return new PyError("KeyError", PyRepr.repr(key));
    }

    public static PyError attributeError(Object target, String attribute) {
        return new PyError("AttributeError",
                "'" + PyValues.typeName(target) + "' object has no attribute '" + attribute + "'");
    }

    public static PyError valueError(String message) {
        return new PyError("ValueError", message);
    }
}
