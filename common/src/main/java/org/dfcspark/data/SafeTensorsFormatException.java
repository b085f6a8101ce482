package org.dfcspark.data;

import java.io.IOException;

/** A safetensors file that is truncated, corrupt or not what the caller expects; the message names the file. */
public class SafeTensorsFormatException extends IOException {
    public SafeTensorsFormatException(String message) {
        super(message);
    }

    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
