package warren.discovery.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveryException;
import warren.discovery.http.BackendHttp;

/**
 * The few etcd v3 calls the backend needs, over etcd's JSON gateway ({@code /v3/...}, keys and
 * values base64 in JSON, 64-bit numbers as strings).
 *
 * <p>Endpoints are tried in order starting with the one that last answered; a request that gets no
 * answer (refused, timed out, TLS failure) or a 503 from an endpoint goes to the next one, and the
 * one that answers is remembered. With a user name configured the client authenticates
 * ({@code /v3/auth/authenticate}) and sends the token in the {@code Authorization} header; etcd's
 * simple tokens are per member and expire when idle, so the token is fetched again after a failover
 * and whenever etcd answers "invalid auth token".
 */
final class EtcdClient {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdClient.class);

    /** A key/value of a range answer. */
    record Kv(String key, String value, long lease, long createRevision) {
    }

    private final BackendHttp http;
    private final List<URI> endpoints;
    private final Optional<String> username;
    private final Optional<String> password;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicBoolean announced = new AtomicBoolean();
    private final Object authLock = new Object();
    private volatile int current;
    private volatile String token;
    private volatile int tokenEndpoint = -1;

    EtcdClient(BackendHttp http, List<URI> endpoints, Optional<String> username, Optional<String> password) {
        this.http = http;
        this.endpoints = List.copyOf(endpoints);
        this.username = username;
        this.password = password;
    }

    /** The endpoint requests go to first: the one that answered last. */
    URI currentEndpoint() {
        return endpoints.get(current);
    }

    long leaseGrant(int ttlSeconds) {
        ObjectNode body = json.createObjectNode().put("TTL", ttlSeconds);
        JsonNode answer = call("/v3/lease/grant", body);
        long id = answer.path("ID").asLong(0);
        if (id == 0) {
            throw new DiscoveryException("etcd peer discovery: lease grant answered no lease ID: " + answer);
        }
        return id;
    }

    /** Refreshes lease {@code id}; answers its remaining TTL in seconds, 0 when it has expired. */
    long leaseKeepAlive(long id) {
        JsonNode answer = call("/v3/lease/keepalive", json.createObjectNode().put("ID", Long.toString(id)));
        JsonNode result = answer.path("result");
        if (answer.has("error")) {
            throw new DiscoveryException("etcd peer discovery: keep-alive of lease " + Long.toHexString(id)
                    + " failed: " + answer.path("error"));
        }
        return result.path("TTL").asLong(0);
    }

    void leaseRevoke(long id) {
        try {
            call("/v3/lease/revoke", json.createObjectNode().put("ID", Long.toString(id)));
        } catch (DiscoveryException e) {
            if (!e.getMessage().contains("lease not found")) {
                throw e;
            }
        }
    }

    void put(String key, String value, long lease) {
        ObjectNode body = json.createObjectNode().put("key", b64(key)).put("value", b64(value));
        if (lease != 0) {
            body.put("lease", Long.toString(lease));
        }
        call("/v3/kv/put", body);
    }

    void delete(String key) {
        call("/v3/kv/deleterange", json.createObjectNode().put("key", b64(key)));
    }

    Optional<Kv> get(String key) {
        List<Kv> kvs = kvs(call("/v3/kv/range", json.createObjectNode().put("key", b64(key))));
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }

    /** Every key starting with {@code prefix}, in key order. */
    List<Kv> range(String prefix) {
        ObjectNode body = json.createObjectNode().put("key", b64(prefix)).put("range_end", rangeEnd(prefix));
        return kvs(call("/v3/kv/range", body));
    }

    /**
     * Creates {@code key} bound to {@code lease} unless it exists (compare create_revision == 0), in
     * one transaction. Answers empty when it was created, else the existing key/value.
     */
    Optional<Kv> createIfAbsent(String key, String value, long lease) {
        ObjectNode body = json.createObjectNode();
        body.putArray("compare").addObject().put("key", b64(key)).put("target", "CREATE")
                .put("result", "EQUAL").put("create_revision", "0");
        body.putArray("success").addObject().putObject("request_put").put("key", b64(key))
                .put("value", b64(value)).put("lease", Long.toString(lease));
        body.putArray("failure").addObject().putObject("request_range").put("key", b64(key));
        JsonNode answer = call("/v3/kv/txn", body);
        if (answer.path("succeeded").asBoolean(false)) {
            return Optional.empty();
        }
        List<Kv> existing = kvs(answer.path("responses").path(0).path("response_range"));
        if (existing.isEmpty()) {
            // deleted between the compare and the range: report it free with no holder
            return Optional.of(new Kv(key, "", 0, 0));
        }
        return Optional.of(existing.get(0));
    }

    /** Deletes {@code key} if it is still bound to {@code lease}; answers whether it did. */
    boolean deleteIfLease(String key, long lease) {
        ObjectNode body = json.createObjectNode();
        body.putArray("compare").addObject().put("key", b64(key)).put("target", "LEASE")
                .put("result", "EQUAL").put("lease", Long.toString(lease));
        body.putArray("success").addObject().putObject("request_delete_range").put("key", b64(key));
        return call("/v3/kv/txn", body).path("succeeded").asBoolean(false);
    }

    ObjectMapper json() {
        return json;
    }

    // ---------------------------------------------------------------------------------------------

    private JsonNode call(String path, ObjectNode body) {
        announce();
        int start = current;
        List<String> failures = new ArrayList<>();
        DiscoveryException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            int index = (start + i) % endpoints.size();
            try {
                JsonNode answer = callAt(index, path, body);
                if (index != current) {
                    LOG.info("etcd peer discovery: using etcd endpoint {} ({} did not answer)", endpoints.get(index),
                            endpoints.get(current));
                    current = index;
                }
                return answer;
            } catch (Unreachable e) {
                last = e.cause;
                failures.add(endpoints.get(index) + ": " + e.getMessage());
                LOG.debug("etcd peer discovery: endpoint {} did not answer {}: {}", endpoints.get(index), path,
                        e.getMessage());
            }
        }
        String hint = tlsFailure(last)
                ? "the TLS handshake failed: check " + EtcdConfig.SSL_OPTIONS + ".cacertfile (the CA that signed etcd's"
                        + " certificate), " + EtcdConfig.SSL_OPTIONS + ".certfile and " + EtcdConfig.SSL_OPTIONS
                        + ".keyfile (the client certificate etcd requires) and " + EtcdConfig.SSL_OPTIONS + ".verify"
                : "check " + EtcdConfig.ENDPOINTS + ".N (or " + EtcdConfig.HOST + "/" + EtcdConfig.PORT + ")";
        throw new DiscoveryException("etcd peer discovery: no etcd endpoint answered " + path + " (tried "
                + String.join("; ", failures) + "); " + hint, last);
    }

    private static boolean tlsFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private JsonNode callAt(int index, String path, ObjectNode body) {
        URI base = endpoints.get(index);
        String tok = token(index, false);
        HttpResponse<String> response = send(base, path, body, tok);
        if (response.statusCode() == 401 && username.isPresent() && response.body().contains("auth token")) {
            LOG.debug("etcd peer discovery: token rejected by {} ({}); authenticating again", base,
                    response.body());
            tok = token(index, true);
            response = send(base, path, body, tok);
        }
        if (response.statusCode() == 503) {
            throw new Unreachable(new DiscoveryException("answered 503: " + errorText(response)));
        }
        if (response.statusCode() / 100 != 2) {
            throw new DiscoveryException(describe(base, path, response));
        }
        return parse(base, path, response.body());
    }

    private HttpResponse<String> send(URI base, String path, ObjectNode body, String tok) {
        HttpRequest.Builder request = http.request(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (tok != null) {
            request.header("Authorization", tok);
        }
        try {
            return http.send(request.build());
        } catch (DiscoveryException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            throw new Unreachable(e);
        }
    }

    /** The token for endpoint {@code index}, authenticating when there is none (or {@code renew}). */
    private String token(int index, boolean renew) {
        if (username.isEmpty()) {
            return null;
        }
        synchronized (authLock) {
            if (!renew && token != null && tokenEndpoint == index) {
                return token.isEmpty() ? null : token;
            }
            URI base = endpoints.get(index);
            ObjectNode body = json.createObjectNode().put("name", username.get())
                    .put("password", password.orElse(""));
            HttpResponse<String> response = send(base, "/v3/auth/authenticate", body, null);
            String text = response.body();
            if (response.statusCode() / 100 == 2) {
                token = parse(base, "/v3/auth/authenticate", text).path("token").asText("");
            } else if (text.contains("authentication is not enabled")) {
                LOG.warn("etcd peer discovery: {} is configured but etcd at {} has authentication disabled;"
                        + " continuing without a token", EtcdConfig.USERNAME, base);
                token = "";
            } else {
                throw new DiscoveryException("etcd peer discovery: etcd at " + base + " rejected user '" + username.get()
                        + "': " + errorText(response) + " (check " + EtcdConfig.USERNAME + " and "
                        + EtcdConfig.PASSWORD + ")");
            }
            tokenEndpoint = index;
            return token.isEmpty() ? null : token;
        }
    }

    /** Forgets the token, as if etcd had expired it (tests). */
    void invalidateTokenForTest() {
        synchronized (authLock) {
            if (token != null && !token.isEmpty()) {
                token = "invalid." + token;
            }
        }
    }

    private void announce() {
        if (announced.compareAndSet(false, true)) {
            if (username.isPresent()) {
                LOG.info("etcd peer discovery: will connect to etcd as user '{}'", username.get());
            } else {
                LOG.info("etcd peer discovery: will connect to etcd without authentication "
                        + "(no credentials configured)");
            }
        }
    }

    private String describe(URI base, String path, HttpResponse<String> response) {
        String error = errorText(response);
        String hint = "";
        if (error.contains("user name is empty")) {
            hint = "; etcd requires authentication: set " + EtcdConfig.USERNAME + " and " + EtcdConfig.PASSWORD;
        } else if (error.contains("permission denied")) {
            hint = "; grant user '" + username.orElse("") + "' readwrite on the /rabbitmq/ key prefix";
        }
        return "etcd peer discovery: " + base + path + " answered " + response.statusCode() + ": " + error + hint;
    }

    private String errorText(HttpResponse<String> response) {
        try {
            JsonNode node = json.readTree(response.body());
            if (node.hasNonNull("error")) {
                return node.get("error").asText();
            }
        } catch (JsonProcessingException | RuntimeException e) {
            // not JSON: quote it below
        }
        String body = response.body() == null ? "" : response.body().strip();
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    private JsonNode parse(URI base, String path, String body) {
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new DiscoveryException("etcd peer discovery: " + base + path + " answered something that is not"
                    + " JSON (is this an etcd v3.4+ client URL?): " + e.getOriginalMessage(), e);
        }
    }

    private static List<Kv> kvs(JsonNode rangeAnswer) {
        List<Kv> out = new ArrayList<>();
        JsonNode kvs = rangeAnswer.path("kvs");
        if (kvs instanceof ArrayNode array) {
            for (JsonNode kv : array) {
                out.add(new Kv(unb64(kv.path("key").asText("")), unb64(kv.path("value").asText("")),
                        kv.path("lease").asLong(0), kv.path("create_revision").asLong(0)));
            }
        }
        return out;
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }

    /** The smallest key greater than every key starting with {@code prefix}, base64. */
    static String rangeEnd(String prefix) {
        byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(bytes, i + 1);
                end[i]++;
                return Base64.getEncoder().encodeToString(end);
            }
        }
        return Base64.getEncoder().encodeToString(new byte[] {0});
    }

    /** No answer from one endpoint: the next one is tried. */
    private static final class Unreachable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient DiscoveryException cause;

        Unreachable(DiscoveryException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }
}
