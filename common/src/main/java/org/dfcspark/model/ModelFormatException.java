package org.dfcspark.model;

import java.io.IOException;

/** A model directory that cannot be loaded as Qwen2: missing file, unknown architecture, wrong tensor shape or dtype. */
public class ModelFormatException extends IOException {
    public ModelFormatException(String message) {
        super(message);
    }
}
