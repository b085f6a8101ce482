package org.dfcspark.toolcall.bfcl;

import java.util.List;

/**
 * BFCL's verdict for one model output: {@code valid}, {@code error_type} (null when valid) and {@code error}
 * (the evaluator's messages, Python repr formatting; null when valid). When the original evaluator itself
 * crashes on the entry (it does not guard the checker), {@code raises} holds the Python exception class and
 * {@code error} its message.
 */
public record BfclVerdict(boolean valid, String errorType, List<Object> error, String raises) {
    static BfclVerdict ok() {
        return new BfclVerdict(true, null, null, null);
    }

    static BfclVerdict invalid(String errorType, List<Object> error) {
        return new BfclVerdict(false, errorType, error, null);
    }
}
