package org.dfcspark.organism;

/** The JSON-schema type of a tool parameter, as written in the tool's schema ({@code "type": "..."}). */
public enum JsonKind {
    STRING("string"),
    INTEGER("integer"),
    NUMBER("number");

    private final String schemaName;

    JsonKind(String schemaName) {
        this.schemaName = schemaName;
    }

    public String schemaName() {
        return schemaName;
    }

    /** The JSON value of an argument written as {@code text} in a request: a String, Long or Double. */
    public Object jsonValue(String text) {
        return switch (this) {
            case STRING -> text;
            case INTEGER -> Long.parseLong(text);
            case NUMBER -> text.contains(".") ? (Object) Double.parseDouble(text) : (Object) Long.parseLong(text);
        };
    }
}
