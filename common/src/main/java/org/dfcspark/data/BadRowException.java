package org.dfcspark.data;

/** An input row that cannot become a prompt record; its message is the reason stored in the quarantine table. */
public class BadRowException extends Exception {
    public BadRowException(String reason) {
        super(reason);
    }
}
