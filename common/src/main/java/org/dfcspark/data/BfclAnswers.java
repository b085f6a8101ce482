package org.dfcspark.data;

import org.dfcspark.py.PythonJson;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A BFCL possible-answer file (JSON Lines {@code {id, ground_truth}}) as id -> ground_truth JSON text. */
public final class BfclAnswers {
    private BfclAnswers() {}

    /** The answers; any malformed line is an IllegalArgumentException naming the file and line. */
    public static Map<String, String> read(Path file) {
        Map<String, String> byId = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (PromptFiles.Item item : PromptFiles.items(file)) {
            if (item.json().isBlank()) continue;
            try {
                Map<?, ?> m = JsonFields.object(item.json());
                String id = JsonFields.string(m, "id");
                JsonFields.list(m, "ground_truth");
                if (byId.put(id, PythonJson.dumps(m.get("ground_truth"))) != null) throw new BadRowException("duplicate id " + id);
            } catch (BadRowException e) {
                problems.add("line " + (item.row() + 1) + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(file + ": " + problems.get(0)
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more bad lines)" : ""));
        return byId;
    }
}
