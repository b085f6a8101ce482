package org.dfcspark.toolcall;

import org.dfcspark.py.PythonJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the oracle fixture files under {@code toolcall-scoring/} (each line parsed with Python's JSON rules). */
final class Fixtures {
    private Fixtures() {}

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> load(String file) {
        String resource = "/toolcall-scoring/" + file;
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) rows.add((Map<String, Object>) PythonJson.loads(line));
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> expected(Map<String, Object> row) {
        return (Map<String, Object>) row.get("expected");
    }
}
