package org.dfcspark.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lines of a text file, each decoded on its own as strict UTF-8, so one line with invalid bytes is reported as
 * that line ({@link Line#error()}) instead of failing the whole file. Line ends are \n or \r\n.
 */
public final class Utf8Lines implements Closeable {
    /** One line: {@code text} when it decodes, else {@code error} (and {@code text} null). */
    public record Line(int number, String text, String error) {}

    private final InputStream in;
    private int number;

    public Utf8Lines(Path file) throws IOException {
        this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    }

    /** The next line, or null at the end of the file. */
    public Line next() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') buf.write(b);
        if (b < 0 && buf.size() == 0) return null;
        number++;
        byte[] bytes = buf.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, len)).toString();
            return new Line(number, text, null);
        } catch (CharacterCodingException e) {
            return new Line(number, null, "invalid UTF-8 (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
