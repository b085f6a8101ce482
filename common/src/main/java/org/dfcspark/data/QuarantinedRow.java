package org.dfcspark.data;

import java.io.Serializable;

/**
 * An input item that did not become prompt records, kept with why (the quarantine table).
 *
 * @param source reader (toolrl | bfcl | sharegpt | text)
 * @param file   input file name
 * @param row    0-based position of the item in the file (line for JSONL, element for JSON arrays, row for Parquet)
 * @param reason one line
 * @param raw    the item as read (JSON text)
 */
public record QuarantinedRow(String source, String file, long row, String reason, String raw) implements Serializable {}
