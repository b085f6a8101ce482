/**
 * Python semantics in Java, for the ports whose verdicts must match the Python originals byte for byte (the scorers,
 * chat-template {@code tojson}, the converters). {@link org.dfcspark.py.PythonJson} is the one JSON reader and writer
 * for Python-produced data: {@code loads}/{@code rawDecode} as CPython's decoder, {@link org.dfcspark.py.PythonJson#parse}
 * for data files (ints narrowed to Integer/Long, failures as "malformed JSON" IllegalArgumentExceptions), {@code dumps}
 * as {@code json.dumps}. Around it: {@link org.dfcspark.py.PyValues} (type, ==, in, truth of the value model),
 * {@link org.dfcspark.py.PyRepr}, {@link org.dfcspark.py.PyStrings}, {@link org.dfcspark.py.PyNumbers} and
 * {@link org.dfcspark.py.PyError} (which Python exception the original would raise). Depends on nothing else of the
 * project. docs/DESIGN.md "Clean-up: shared Python-semantics layer".
 */
package org.dfcspark.py;
