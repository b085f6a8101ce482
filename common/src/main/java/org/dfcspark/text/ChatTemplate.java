package org.dfcspark.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import org.dfcspark.py.PythonJson;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template ({@code tokenizer_config.json}'s {@code chat_template}, or
 * {@code chat_template.jinja}) rendered with Jinjava set up to behave as transformers'
 * {@code apply_chat_template}: Jinja2 with trim_blocks and lstrip_blocks, {@code {{- -}}} whitespace
 * control, a {@code tojson} filter equal to {@code json.dumps(x, ensure_ascii=False)} and the
 * {@code raise_exception} / {@code strftime_now} globals; the template sees {@code messages},
 * {@code tools} (the list of tool schemas, or none), {@code add_generation_prompt} and the special
 * token strings ({@code bos_token}, {@code eos_token}, ...). Thread-safe.
 */
public final class ChatTemplate {
    private final String source;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    private ChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = jinja2Source(source);
        this.specialTokens = specialTokens;
        this.jinjava = newJinja2LikeEngine();
    }

    /** The chat template of a model directory; an IllegalArgumentException if it has none. */
    public static ChatTemplate load(Path modelDir) {
        ModelConfigFiles cfg = ModelConfigFiles.read(modelDir);
        if (cfg.chatTemplate() == null) {
            throw new IllegalArgumentException(modelDir + ": no chat template (neither tokenizer_config.json's "
                    + "chat_template nor chat_template.jinja)");
        }
        return new ChatTemplate(cfg.chatTemplate(), cfg.specialTokens());
    }

    /** A template given as text (tests, or a template file chosen on the command line). */
    public static ChatTemplate of(String template, Map<String, String> specialTokens) {
        return new ChatTemplate(template, Map.copyOf(specialTokens));
    }

    public String source() {
        return source;
    }

    /**
     * Renders a conversation. Messages are maps as in transformers ({@code role}, {@code content},
     * optionally {@code tool_calls}, {@code name}, ...); tools are JSON-schema maps, passed to the template
     * exactly as transformers passes them: {@code null} stays None, a list (even empty) is the list;
     * templates test {@code {% if tools %}}. A template's {@code raise_exception(msg)} or any render error becomes an
     * IllegalArgumentException carrying its message.
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                         boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>(specialTokens);
        ctx.put("messages", messages);
        ctx.put("tools", tools);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(source, ctx);
        for (TemplateError e : result.getErrors()) {
            // Jinjava records problems and carries on; Jinja2 would have raised, so we do too.
            throw new IllegalArgumentException("chat template: " + describe(e));
        }
        return result.getOutput();
    }

    /**
     * Jinja2's lexer turns every line break of the source into "\n" and drops one trailing newline
     * (keep_trailing_newline=False). Jinjava instead strips a trailing newline from the OUTPUT, which
     * would eat the final "\n" of "&lt;|im_end|&gt;\n"; so Jinjava keeps output newlines and we do
     * Jinja2's part here.
     */
    static String jinja2Source(String template) {
        String s = template.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static String describe(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null) {
            if (cause instanceof TemplateRaisedException r) return r.getMessage();
            cause = cause.getCause();
        }
        return e.getMessage() + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : "");
    }

    private static Jinjava newJinja2LikeEngine() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.registerFilter(new PythonToJsonFilter());
        j.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
        j.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        return j;
    }

    /** Jinja2's {@code raise_exception} global of transformers: aborts the render with the template's message. */
    public static Object raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** transformers' {@code strftime_now(format)}: the local time, Python strftime codes. */
    public static String strftimeNow(String format) {
        return Strftime.format(format, LocalDateTime.now());
    }

    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }

    /** {@code tojson} as transformers defines it: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    static final class PythonToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? indent(args[0]) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            for (String k : kwargs.keySet()) {
                if (!k.equals("indent")) throw new IllegalArgumentException("tojson: unsupported argument '" + k + "'");
            }
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
            return PythonJson.dumps(var, indent(indent));
        }

        private static Integer indent(Object o) {
            if (o == null) return null;
            if (o instanceof Number n) return n.intValue();
            return Integer.valueOf(o.toString().trim());
        }
    }

    /** The few strftime codes chat templates use (Llama 3's "%d %b %Y"). */
    static final class Strftime {
        static String format(String pyFormat, LocalDateTime t) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < pyFormat.length(); i++) {
                char c = pyFormat.charAt(i);
                if (c != '%' || i + 1 == pyFormat.length()) {
                    sb.append(c);
                    continue;
                }
                char code = pyFormat.charAt(++i);
                String pattern = switch (code) {
                    case 'Y' -> "yyyy";
                    case 'm' -> "MM";
                    case 'd' -> "dd";
                    case 'H' -> "HH";
                    case 'M' -> "mm";
                    case 'S' -> "ss";
                    case 'b' -> "MMM";
                    case 'B' -> "MMMM";
                    case 'a' -> "EEE";
                    case 'A' -> "EEEE";
                    case '%' -> "'%'";
                    default -> throw new IllegalArgumentException("strftime_now: unsupported code %" + code);
                };
                sb.append(DateTimeFormatter.ofPattern(pattern, java.util.Locale.ROOT).format(t));
            }
            return sb.toString();
        }
    }
}
