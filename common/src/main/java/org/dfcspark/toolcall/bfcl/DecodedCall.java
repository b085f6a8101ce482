package org.dfcspark.toolcall.bfcl;

import org.dfcspark.py.PythonJson;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One element of BFCL's decoded output {@code {function_name: {arg: value}}}. The name is whatever JSON value
 * the model wrote under {@code "name"} (BFCL does not require a string), the arguments are a dict.
 */
public record DecodedCall(Object name, Map<String, Object> arguments) {
    /** The call as the Python dict {@code {name: arguments}} (a non-string name converted as json.dumps does). */
    public Map<String, Object> asDict() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(PythonJson.jsonKey(name), arguments);
        return m;
    }
}
