package org.dfcspark.data;

import org.dfcspark.data.PromptRecord.Message;
import org.dfcspark.py.PythonJson;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain text corpora (generic text for feature ranking): one item {@code {"text": …, …}} per line of a
 * JSONL file or per row of a Parquet file with a {@code text} column. The text becomes the single user
 * message (gold_kind none); {@code id} is the item's own {@code id} when it has one, else
 * {@code <file stem>:<position>}; other top-level fields are kept in extras (non-strings as JSON).
 */
public final class TextConverter implements PromptConverter {
    private final String fileStem;
    private final String split;

    public TextConverter(String fileStem, String split) {
        this.fileStem = fileStem;
        this.split = split;
    }

    @Override
    public String source() {
        return "text";
    }

    @Override
    public List<PromptRecord> convert(String json, long row) throws BadRowException {
        Map<?, ?> m = JsonFields.object(json);
        String text = JsonFields.string(m, "text");
        if (text.isEmpty()) throw new BadRowException("empty \"text\"");
        Object ownId = m.get("id");
        String id = ownId instanceof String || ownId instanceof Number ? ownId.toString() : fileStem + ":" + row;
        Map<String, String> extras = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = e.getKey().toString();
            if (k.equals("text") || k.equals("id") || e.getValue() == null) continue;
            extras.put(k, e.getValue() instanceof String s ? s : PythonJson.dumps(e.getValue()));
        }
        return List.of(new PromptRecord(id, source(), split, fileStem, List.of(new Message("user", text)),
                List.of(), null, PromptRecord.NONE, extras));
    }
}
