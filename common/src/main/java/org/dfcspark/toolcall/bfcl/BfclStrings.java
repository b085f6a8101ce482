package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PyStrings;

import java.util.regex.Pattern;

/** BFCL's {@code standardize_string}, shared by the faithful AST checker and our strict scorer. */
public final class BfclStrings {
    private static final Pattern PUNCTUATION = Pattern.compile("[ ,./\\-_*^]");

    private BfclStrings() {}

    /** Deletes every space and each of {@code , . / - _ * ^}, lower-cases (Python {@code lower()}), {@code '} to {@code "}. */
    public static String standardize(String s) {
        return PyStrings.lower(PUNCTUATION.matcher(s).replaceAll("")).replace("'", "\"");
    }
}
