package org.dfcspark.data;

import java.io.Serializable;
import java.util.List;

/**
 * Turns one input item of a source (a JSON object, as text) into prompt records. Serializable so that a
 * Spark job can run it inside {@code mapPartitions}; local reads go through {@link PromptFiles}.
 */
public interface PromptConverter extends Serializable {

    /** Name written to the records' {@code source} column: toolrl | bfcl | sharegpt | text. */
    String source();

    /**
     * @param json the item
     * @param row  its 0-based position in its file (used for ids where the data has none)
     * @throws BadRowException with the reason, when the item cannot be converted
     */
    List<PromptRecord> convert(String json, long row) throws BadRowException;
}
