package org.dfcspark.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol with the JDK's own WebSocket client (no npm, no
 * downloaded browser): the system's {@code chromium} ({@code $CHROMIUM} or /usr/bin/chromium), started with an empty
 * profile and {@code --remote-debugging-port=0}; the port is read from the profile's {@code DevToolsActivePort}.
 * Commands go to the first page target; every event is kept for the test to inspect.
 */
final class CdpBrowser implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new ArrayList<>();

    /** The system's Chromium, or null when there is none. */
    static Path executable() {
        String env = System.getenv("CHROMIUM");
        Path p = Path.of(env != null && !env.isBlank() ? env : "/usr/bin/chromium");
        return Files.isExecutable(p) ? p : null;
    }

    CdpBrowser(Path chromium, Path profile) throws IOException, InterruptedException {
        Files.createDirectories(profile);
        process = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--remote-debugging-port=0", "--window-size=1366,900", "about:blank")
                .redirectErrorStream(true).redirectOutput(profile.resolveSibling("chromium.log").toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(portFile) || Files.readAllLines(portFile).size() < 2) {
            if (!process.isAlive()) throw new IOException("chromium exited with " + process.exitValue() + "; see " + profile.resolveSibling("chromium.log"));
            if (System.nanoTime() > deadline) throw new IOException("chromium wrote no DevToolsActivePort in " + TIMEOUT);
            Thread.sleep(100);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        HttpClient http = HttpClient.newHttpClient();
        String page = null;
        while (page == null) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode t : targets) if (t.path("type").asText().equals("page")) page = t.path("webSocketDebuggerUrl").asText();
            if (page == null) Thread.sleep(100);
            if (System.nanoTime() > deadline) throw new IOException("chromium has no page target");
        }
        socket = http.newWebSocketBuilder().buildAsync(URI.create(page), new Listener()).join();
    }

    /** Sends one command and waits for its result; a protocol error is an exception. */
    JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(msg), true).join();
        JsonNode reply = f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply.has("error")) throw new IllegalStateException(method + ": " + reply.get("error"));
        return reply.path("result");
    }

    /** Evaluates a JavaScript expression in the page and returns its value (JSON-serialisable values only). */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
        return r.path("result").path("value");
    }

    /** Waits until an event of {@code method} has arrived (counting from the start). */
    JsonNode awaitEvent(String method) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        synchronized (events) {
            while (true) {
                for (JsonNode e : events) if (e.path("method").asText().equals(method)) return e;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IllegalStateException("no " + method + " event in " + TIMEOUT);
                events.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    List<JsonNode> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the browser is killed below anyway
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode msg = JSON.readTree(partial.toString());
                    if (msg.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
                        if (f != null) f.complete(msg);
                    } else {
                        synchronized (events) {
                            events.add(msg);
                            events.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("unreadable CDP message", e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
