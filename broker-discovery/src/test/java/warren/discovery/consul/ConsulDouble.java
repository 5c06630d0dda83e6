package warren.discovery.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Consul datacenter on loopback for tests: one or more agents (each an HTTP server on
 * {@code 127.0.0.1}, port 0, with its own Consul node {@code consul-agent-<i>}) sharing one
 * catalog, session table and KV store, speaking the parts of Consul's HTTP API a RabbitMQ-style
 * peer discovery backend uses — and checking each request as Consul does:
 *
 * <ul>
 *   <li>{@code PUT /v1/agent/service/register}: PUT only (405 otherwise); JSON body with Consul's
 *       field names (unknown fields, a missing Name, a malformed Go duration, a check Status other
 *       than passing/warning/critical, invalid meta keys → 400); a TTL check gets ID
 *       {@code service:<id>} and starts {@code critical} unless Status says otherwise;</li>
 *   <li>{@code PUT /v1/agent/check/pass/<checkId>} (404 "Unknown check ID" for an unknown check,
 *       500 for a check without TTL); a TTL check not passed within its TTL turns critical
 *       ("TTL expired"), and with DeregisterCriticalServiceAfter (at least 1 minute, as Consul) is
 *       reaped;</li>
 *   <li>{@code PUT /v1/agent/service/deregister/<id>} (404 "Unknown service ID");</li>
 *   <li>{@code GET /v1/health/service/<name>} with {@code ?passing}, {@code ?tag=}: entries with
 *       Node, Service and Checks (the node's serfHealth and the service's); an unknown service is
 *       an empty array, as in Consul;</li>
 *   <li>sessions ({@code /v1/session/create|renew|destroy|info}) with TTL 10 s to 24 h, invalidated
 *       after twice their TTL without renewal (Consul's multiplier) or on destroy, releasing their
 *       locks and starting the key's lock-delay (default 15 s);</li>
 *   <li>KV ({@code /v1/kv/<key>}) GET (404 when missing, blocking with {@code ?index=&wait=}), PUT
 *       with {@code ?acquire=} / {@code ?release=} answering {@code true}/{@code false}, DELETE;</li>
 *   <li>ACLs when {@link #requireToken(String)} was called: every request's token
 *       ({@code X-Consul-Token}, {@code Authorization: Bearer} or {@code ?token=}) is checked; an
 *       unknown token is 403 "ACL not found"; no token is the anonymous token, which may write nothing
 *       (403 "Permission denied") and whose health reads come back empty with
 *       {@code X-Consul-Results-Filtered-By-ACLs};</li>
 *   <li>unknown paths: 404 "404 page not found".</li>
 * </ul>
 * Faults are injected per path prefix ({@link #failWith}, {@link #slowDown}); {@link #stopAgent}
 * makes an agent unreachable. Every request is recorded ({@link #requests()}).
 */
public final class ConsulDouble implements AutoCloseable {

    /** One request as the double received it. */
    public record Request(int agent, String method, String path, String query, Optional<String> token,
            String body) {
        /** The decoded query parameters (a bare {@code passing} maps to ""). */
        public Map<String, String> params() {
            return ConsulDouble.params(query);
        }
    }

    private record Fault(int agent, String pathPrefix, int status, Duration delay) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h))+");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");
    private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Set<String> SERVICE_FIELDS = Set.of("id", "name", "tags", "address", "port", "meta",
            "check", "checks", "enabletagoverride", "kind", "taggedaddresses", "weights", "namespace");
    private static final Set<String> CHECK_FIELDS = Set.of("checkid", "name", "notes", "ttl", "status",
            "deregistercriticalserviceafter", "interval", "timeout", "http", "tcp", "args", "method", "header");
    private static final Set<String> SESSION_FIELDS = Set.of("name", "ttl", "lockdelay", "behavior", "node",
            "checks", "nodechecks", "servicechecks", "namespace");
    private static final long MIN_DEREGISTER_NANOS = Duration.ofMinutes(1).toNanos();

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<Boolean> stopped = new ArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "consul-double");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();

    // state, guarded by this
    private long index = 10;
    private long kvIndex = 10;
    private final Map<String, Service> services = new LinkedHashMap<>(); // agent + "/" + id
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final Map<String, Kv> kv = new TreeMap<>();
    private volatile String aclToken;

    private static final class Service {
        int agent;
        String id;
        String name;
        String address = "";
        int port;
        List<String> tags = List.of();
        Map<String, String> meta = Map.of();
        long createIndex;
        long modifyIndex;
        Check check;
    }

    private static final class Check {
        String id;
        String name;
        String notes = "";
        long ttlNanos;
        String status;
        String output = "";
        long updatedNanos;
        long deregisterAfterNanos;
        long criticalSinceNanos;
    }

    private static final class Session {
        String id;
        String name;
        int agent;
        long ttlNanos;
        long lockDelayNanos;
        String behavior;
        long renewedNanos;
        long createIndex;
    }

    private static final class Kv {
        String key;
        byte[] value;
        long flags;
        String session;
        long lockIndex;
        long createIndex;
        long modifyIndex;
        long lockDelayUntilNanos;
    }

    private ConsulDouble() {
    }

    /** A datacenter with one agent. */
    public static ConsulDouble start() throws IOException {
        return start(1);
    }

    /** A datacenter with {@code agents} agents sharing one catalog and KV store. */
    public static ConsulDouble start(int agents) throws IOException {
        ConsulDouble d = new ConsulDouble();
        try {
            for (int i = 0; i < agents; i++) {
                HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
                int agent = i;
                server.createContext("/", exchange -> d.handle(agent, exchange));
                server.setExecutor(d.executor);
                server.start();
                d.servers.add(server);
                d.stopped.add(false);
            }
        } catch (IOException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** The host every agent listens on. */
    public String host() {
        return "127.0.0.1";
    }

    /** The port of agent 0. */
    public int port() {
        return port(0);
    }

    public int port(int agent) {
        return servers.get(agent).getAddress().getPort();
    }

    /** {@code 127.0.0.1:<port>} of {@code agent}, as {@code cluster_formation.consul.hosts.N} takes it. */
    public String address(int agent) {
        return host() + ":" + port(agent);
    }

    /** The Consul node name of {@code agent}. */
    public String nodeName(int agent) {
        return "consul-agent-" + agent;
    }

    /** Turns ACLs on (default policy deny): {@code token} may do everything, the anonymous token nothing. */
    public void requireToken(String token) {
        this.aclToken = token;
    }

    /** Answers {@code status} to every request whose path starts with {@code pathPrefix}, on every agent. */
    public void failWith(String pathPrefix, int status) {
        faults.add(new Fault(-1, pathPrefix, status, Duration.ZERO));
    }

    /** Delays the answer to requests under {@code pathPrefix} on {@code agent} (-1: every agent). */
    public void slowDown(int agent, String pathPrefix, Duration delay) {
        faults.add(new Fault(agent, pathPrefix, 0, delay));
    }

    public void clearFaults() {
        faults.clear();
    }

    /** Stops {@code agent}'s HTTP server: connections to it are refused from now on. */
    public synchronized void stopAgent(int agent) {
        if (!stopped.get(agent)) {
            servers.get(agent).stop(0);
            stopped.set(agent, true);
        }
    }

    /** Every request received so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    /** The IDs of the services registered with {@code agent}. */
    public synchronized List<String> serviceIds(int agent) {
        tick();
        return services.values().stream().filter(s -> s.agent == agent).map(s -> s.id).toList();
    }

    /** The status of service {@code id}'s check on any agent, empty when no such service or check. */
    public synchronized Optional<String> checkStatus(String serviceId) {
        tick();
        return services.values().stream().filter(s -> s.id.equals(serviceId) && s.check != null).findFirst()
                .map(s -> s.check.status);
    }

    /** Sets service {@code id}'s check status as an operator's {@code consul} command would. */
    public synchronized void setCheckStatus(String serviceId, String status) {
        for (Service s : services.values()) {
            if (s.id.equals(serviceId) && s.check != null) {
                s.check.status = status;
                s.check.updatedNanos = System.nanoTime();
                s.check.criticalSinceNanos = System.nanoTime();
                touch(s);
            }
        }
    }

    /** The session holding KV {@code key}, if any. */
    public synchronized Optional<String> kvSession(String key) {
        tick();
        return Optional.ofNullable(kv.get(key)).map(k -> k.session);
    }

    /** The value of KV {@code key} as text, if the key exists. */
    public synchronized Optional<String> kvValue(String key) {
        Kv k = kv.get(key);
        return k == null || k.value == null ? Optional.empty()
                : Optional.of(new String(k.value, StandardCharsets.UTF_8));
    }

    /** The live session IDs. */
    public synchronized Set<String> sessions() {
        tick();
        return Set.copyOf(sessions.keySet());
    }

    /** Invalidates session {@code id} now, as its TTL running out would. */
    public synchronized void expireSession(String id) {
        Session s = sessions.get(id);
        if (s != null) {
            invalidate(s);
        }
    }

    /** Waits up to 10 s for {@code condition}, polling every 50 ms; fails naming {@code what}. */
    public static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < servers.size(); i++) {
            stopAgent(i);
        }
        executor.shutdownNow();
    }

    // ---- request handling --------------------------------------------------------------------

    private record Answer(int status, String body, Map<String, String> headers) {
        static Answer of(int status, String body) {
            return new Answer(status, body, Map.of());
        }
    }

    private void handle(int agent, HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String rawPath = ex.getRequestURI().getRawPath();
            String path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
            String query = ex.getRequestURI().getRawQuery();
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> params = params(query);
            Optional<String> token = Optional.ofNullable(ex.getRequestHeaders().getFirst("X-Consul-Token"))
                    .or(() -> Optional.ofNullable(ex.getRequestHeaders().getFirst("Authorization"))
                            .filter(a -> a.startsWith("Bearer ")).map(a -> a.substring(7)))
                    .or(() -> Optional.ofNullable(params.get("token")));
            requests.add(new Request(agent, method, path, query, token, body));
            Answer answer = null;
            for (Fault f : faults) {
                if ((f.agent < 0 || f.agent == agent) && path.startsWith(f.pathPrefix)) {
                    if (!f.delay.isZero()) {
                        Thread.sleep(f.delay.toMillis());
                    }
                    if (f.status != 0) {
                        answer = Answer.of(f.status, "injected failure for " + f.pathPrefix);
                    }
                }
            }
            if (answer == null) {
                answer = route(agent, method, path, params, token, body);
            }
            byte[] bytes = answer.body.getBytes(StandardCharsets.UTF_8);
            answer.headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            if (!ex.getResponseHeaders().containsKey("Content-Type")) {
                ex.getResponseHeaders().add("Content-Type",
                        answer.status == 200 ? "application/json" : "text/plain; charset=utf-8");
            }
            ex.sendResponseHeaders(answer.status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (it timed out): nothing to answer
        }
    }

    private Answer route(int agent, String method, String path, Map<String, String> params, Optional<String> token,
            String body) throws InterruptedException {
        if (aclToken != null && token.isPresent() && !token.get().equals(aclToken)) {
            return Answer.of(403, "ACL not found");
        }
        boolean anonymous = aclToken != null && token.isEmpty();
        Matcher m;
        if (path.equals("/v1/agent/service/register")) {
            return put(method).orElseGet(() -> denied(anonymous, "service:write")
                    .orElseGet(() -> register(agent, body)));
        }
        if ((m = Pattern.compile("/v1/agent/service/deregister/(.+)").matcher(path)).matches()) {
            String id = m.group(1);
            return put(method).orElseGet(() -> denied(anonymous, "service:write").orElseGet(() -> deregister(agent, id)));
        }
        if ((m = Pattern.compile("/v1/agent/check/pass/(.+)").matcher(path)).matches()) {
            String id = m.group(1);
            return put(method).orElseGet(() -> denied(anonymous, "service:write")
                    .orElseGet(() -> pass(agent, id, params.getOrDefault("note", ""))));
        }
        if ((m = Pattern.compile("/v1/health/service/([^/]+)").matcher(path)).matches()) {
            if (!method.equals("GET")) {
                return notAllowed(method);
            }
            return health(m.group(1), params, anonymous);
        }
        if (path.equals("/v1/session/create")) {
            return put(method).orElseGet(() -> denied(anonymous, "session:write")
                    .orElseGet(() -> createSession(agent, body)));
        }
        if ((m = Pattern.compile("/v1/session/(renew|destroy|info)/([^/]+)").matcher(path)).matches()) {
            String op = m.group(1);
            String id = m.group(2);
            if (op.equals("info") ? !method.equals("GET") : !method.equals("PUT")) {
                return notAllowed(method);
            }
            return denied(anonymous, op.equals("info") ? "session:read" : "session:write")
                    .orElseGet(() -> session(op, id));
        }
        if ((m = Pattern.compile("/v1/kv/(.+)").matcher(path)).matches()) {
            String key = m.group(1);
            Optional<Answer> d = denied(anonymous, method.equals("GET") ? "key:read" : "key:write");
            if (d.isPresent()) {
                return d.get();
            }
            switch (method) {
                case "GET":
                    return kvGet(key, params);
                case "PUT":
                    return kvPut(key, params, body);
                case "DELETE":
                    return kvDelete(key);
                default:
                    return notAllowed(method);
            }
        }
        return Answer.of(404, "404 page not found");
    }

    private static Optional<Answer> put(String method) {
        return method.equals("PUT") ? Optional.empty() : Optional.of(notAllowed(method));
    }

    private static Answer notAllowed(String method) {
        return Answer.of(405, "method " + method + " not allowed");
    }

    private static Optional<Answer> denied(boolean anonymous, String permission) {
        return anonymous ? Optional.of(Answer.of(403, "Permission denied: token with AccessorID "
                + "'00000000-0000-0000-0000-000000000002' lacks permission '" + permission + "'")) : Optional.empty();
    }

    // ---- agent endpoints ---------------------------------------------------------------------

    private synchronized Answer register(int agent, String body) {
        tick();
        JsonNode def;
        try {
            def = JSON.readTree(body);
        } catch (IOException e) {
            return Answer.of(400, "Request decode failed: " + e.getMessage());
        }
        if (def == null || !def.isObject()) {
            return Answer.of(400, "Request decode failed: body is not a JSON object");
        }
        Optional<String> unknown = unknownField(def, SERVICE_FIELDS);
        if (unknown.isPresent()) {
            return Answer.of(400, "Request decode failed: json: unknown field \"" + unknown.get() + "\"");
        }
        String name = field(def, "Name").asText("");
        if (name.isEmpty()) {
            return Answer.of(400, "Missing service name");
        }
        JsonNode port = field(def, "Port");
        if (!port.isMissingNode() && !port.isInt()) {
            return Answer.of(400, "Request decode failed: Port must be an integer, got " + port);
        }
        JsonNode tags = field(def, "Tags");
        List<String> tagList = new ArrayList<>();
        if (!tags.isMissingNode() && !tags.isNull()) {
            if (!tags.isArray()) {
                return Answer.of(400, "Request decode failed: Tags must be an array of strings");
            }
            for (JsonNode t : tags) {
                if (!t.isTextual()) {
                    return Answer.of(400, "Request decode failed: Tags must be an array of strings");
                }
                tagList.add(t.asText());
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode metaNode = field(def, "Meta");
        if (!metaNode.isMissingNode() && !metaNode.isNull()) {
            if (!metaNode.isObject()) {
                return Answer.of(400, "Request decode failed: Meta must be an object of strings");
            }
            for (Map.Entry<String, JsonNode> e : metaNode.properties()) {
                if (!e.getValue().isTextual()) {
                    return Answer.of(400, "Request decode failed: Meta values must be strings");
                }
                if (!META_KEY.matcher(e.getKey()).matches() || e.getKey().startsWith("consul-")
                        || e.getValue().asText().length() > 512) {
                    return Answer.of(400, "Invalid Service Meta: Key " + e.getKey() + " is invalid");
                }
                meta.put(e.getKey(), e.getValue().asText());
            }
        }
        Check check = null;
        JsonNode checkDef = field(def, "Check");
        if (!checkDef.isMissingNode() && !checkDef.isNull()) {
            Optional<String> unknownCheck = unknownField(checkDef, CHECK_FIELDS);
            if (unknownCheck.isPresent()) {
                return Answer.of(400, "Request decode failed: json: unknown field \"" + unknownCheck.get() + "\"");
            }
            check = new Check();
            String ttl = field(checkDef, "TTL").asText("");
            if (ttl.isEmpty()) {
                return Answer.of(400, "Invalid check: TTL must be set (this double implements TTL checks only)");
            }
            Long ttlNanos = duration(ttl);
            if (ttlNanos == null || ttlNanos <= 0) {
                return Answer.of(400, "Request decode failed: time: invalid duration \"" + ttl + "\"");
            }
            check.ttlNanos = ttlNanos;
            String status = field(checkDef, "Status").asText("critical");
            if (!Set.of("passing", "warning", "critical").contains(status)) {
                return Answer.of(400, "Status for checks must 'passing', 'warning', 'critical'");
            }
            check.status = status;
            String dereg = field(checkDef, "DeregisterCriticalServiceAfter").asText("");
            if (!dereg.isEmpty()) {
                Long d = duration(dereg);
                if (d == null) {
                    return Answer.of(400, "Request decode failed: time: invalid duration \"" + dereg + "\"");
                }
                check.deregisterAfterNanos = Math.max(d, MIN_DEREGISTER_NANOS);
            }
            check.notes = field(checkDef, "Notes").asText("");
            check.updatedNanos = System.nanoTime();
            check.criticalSinceNanos = check.updatedNanos;
        }
        String id = field(def, "ID").asText(name);
        String k = agent + "/" + id;
        Service s = services.get(k);
        index++;
        if (s == null) {
            s = new Service();
            s.createIndex = index;
            services.put(k, s);
        }
        s.agent = agent;
        s.id = id;
        s.name = name;
        s.address = field(def, "Address").asText("");
        s.port = port.asInt(0);
        s.tags = List.copyOf(tagList);
        s.meta = Collections.unmodifiableMap(meta);
        s.modifyIndex = index;
        if (check != null) {
            check.id = field(checkDef, "CheckID").asText("service:" + id);
            check.name = field(checkDef, "Name").asText("Service '" + name + "' check");
        }
        s.check = check;
        notifyAll();
        return Answer.of(200, "");
    }

    private synchronized Answer deregister(int agent, String id) {
        tick();
        if (services.remove(agent + "/" + id) == null) {
            return Answer.of(404, "Unknown service ID \"" + id + "\". Ensure that the service ID is passed, not the "
                    + "service name.");
        }
        index++;
        notifyAll();
        return Answer.of(200, "");
    }

    private synchronized Answer pass(int agent, String checkId, String note) {
        tick();
        for (Service s : services.values()) {
            if (s.agent == agent && s.check != null && s.check.id.equals(checkId)) {
                if (s.check.ttlNanos == 0) {
                    return Answer.of(500, "CheckID \"" + checkId + "\" does not have associated TTL");
                }
                s.check.status = "passing";
                s.check.output = note;
                s.check.updatedNanos = System.nanoTime();
                touch(s);
                return Answer.of(200, "");
            }
        }
        return Answer.of(404, "Unknown check ID \"" + checkId + "\". Ensure that the check ID is passed, not the "
                + "check name.");
    }

    private void touch(Service s) {
        index++;
        s.modifyIndex = index;
        notifyAll();
    }

    private synchronized Answer health(String name, Map<String, String> params, boolean anonymous) {
        tick();
        boolean passingOnly = false;
        if (params.containsKey("passing")) {
            String v = params.get("passing");
            if (v.isEmpty() || v.equals("true") || v.equals("1")) {
                passingOnly = true;
            } else if (!v.equals("false") && !v.equals("0")) {
                return Answer.of(400, "Invalid value for ?passing");
            }
        }
        ArrayNode out = JSON.createArrayNode();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Consul-Index", Long.toString(index));
        if (anonymous) {
            headers.put("X-Consul-Results-Filtered-By-ACLs", "true");
            return new Answer(200, out.toString(), headers);
        }
        String tag = params.get("tag");
        for (Service s : services.values()) {
            if (!s.name.equals(name) || (tag != null && !s.tags.contains(tag))) {
                continue;
            }
            if (passingOnly && s.check != null && !"passing".equals(s.check.status)) {
                continue;
            }
            ObjectNode entry = out.addObject();
            ObjectNode node = entry.putObject("Node");
            node.put("ID", UUID.nameUUIDFromBytes(nodeName(s.agent).getBytes(StandardCharsets.UTF_8)).toString());
            node.put("Node", nodeName(s.agent));
            node.put("Address", host());
            node.put("Datacenter", "dc1");
            node.putObject("TaggedAddresses").put("lan", host()).put("wan", host());
            node.putObject("Meta").put("consul-network-segment", "");
            node.put("CreateIndex", 5);
            node.put("ModifyIndex", 5);
            ObjectNode svc = entry.putObject("Service");
            svc.put("ID", s.id);
            svc.put("Service", s.name);
            ArrayNode tags = svc.putArray("Tags");
            s.tags.forEach(tags::add);
            svc.put("Address", s.address);
            ObjectNode meta = svc.putObject("Meta");
            s.meta.forEach(meta::put);
            svc.put("Port", s.port);
            svc.putObject("Weights").put("Passing", 1).put("Warning", 1);
            svc.put("EnableTagOverride", false);
            svc.put("CreateIndex", s.createIndex);
            svc.put("ModifyIndex", s.modifyIndex);
            ArrayNode checks = entry.putArray("Checks");
            ObjectNode serf = checks.addObject();
            serf.put("Node", nodeName(s.agent));
            serf.put("CheckID", "serfHealth");
            serf.put("Name", "Serf Health Status");
            serf.put("Status", "passing");
            serf.put("Notes", "");
            serf.put("Output", "Agent alive and reachable");
            serf.put("ServiceID", "");
            serf.put("ServiceName", "");
            if (s.check != null) {
                ObjectNode c = checks.addObject();
                c.put("Node", nodeName(s.agent));
                c.put("CheckID", s.check.id);
                c.put("Name", s.check.name);
                c.put("Status", s.check.status);
                c.put("Notes", s.check.notes);
                c.put("Output", s.check.output);
                c.put("ServiceID", s.id);
                c.put("ServiceName", s.name);
                c.put("Type", "ttl");
            }
        }
        return new Answer(200, out.toString(), headers);
    }

    // ---- sessions ----------------------------------------------------------------------------

    private synchronized Answer createSession(int agent, String body) {
        tick();
        JsonNode def = JSON.createObjectNode();
        if (!body.isBlank()) {
            try {
                def = JSON.readTree(body);
            } catch (IOException e) {
                return Answer.of(400, "Request decode failed: " + e.getMessage());
            }
            Optional<String> unknown = unknownField(def, SESSION_FIELDS);
            if (unknown.isPresent()) {
                return Answer.of(400, "Request decode failed: json: unknown field \"" + unknown.get() + "\"");
            }
        }
        Session s = new Session();
        s.id = UUID.randomUUID().toString();
        s.name = field(def, "Name").asText("");
        s.agent = agent;
        String ttl = field(def, "TTL").asText("");
        if (!ttl.isEmpty()) {
            Long t = duration(ttl);
            if (t == null) {
                return Answer.of(400, "Request decode failed: time: invalid duration \"" + ttl + "\"");
            }
            if (t != 0 && (t < Duration.ofSeconds(10).toNanos() || t > Duration.ofHours(24).toNanos())) {
                return Answer.of(400, "Invalid Session TTL '" + t + "', must be between [10s=24h0m0s]");
            }
            s.ttlNanos = t;
        }
        String delay = field(def, "LockDelay").asText("15s");
        Long d = duration(delay);
        if (d == null) {
            return Answer.of(400, "Request decode failed: time: invalid duration \"" + delay + "\"");
        }
        s.lockDelayNanos = d;
        s.behavior = field(def, "Behavior").asText("release");
        if (!s.behavior.equals("release") && !s.behavior.equals("delete")) {
            return Answer.of(400, "Invalid Behavior setting '" + s.behavior + "'");
        }
        s.renewedNanos = System.nanoTime();
        s.createIndex = ++index;
        sessions.put(s.id, s);
        return Answer.of(200, "{\"ID\":\"" + s.id + "\"}");
    }

    private synchronized Answer session(String op, String id) {
        tick();
        Session s = sessions.get(id);
        switch (op) {
            case "renew":
                if (s == null) {
                    return Answer.of(404, "Session id '" + id + "' not found");
                }
                s.renewedNanos = System.nanoTime();
                return Answer.of(200, "[" + sessionJson(s) + "]");
            case "destroy":
                if (s != null) {
                    invalidate(s);
                }
                return Answer.of(200, "true");
            default:
                return Answer.of(200, s == null ? "[]" : "[" + sessionJson(s) + "]");
        }
    }

    private String sessionJson(Session s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ID", s.id);
        o.put("Name", s.name);
        o.put("Node", nodeName(s.agent));
        o.put("LockDelay", s.lockDelayNanos);
        o.put("Behavior", s.behavior);
        o.put("TTL", s.ttlNanos == 0 ? "" : (s.ttlNanos / 1_000_000_000L) + "s");
        o.put("CreateIndex", s.createIndex);
        o.put("ModifyIndex", s.createIndex);
        return o.toString();
    }

    /** Consul's session invalidation: locks released (or keys deleted) and the lock-delay starts. */
    private void invalidate(Session s) {
        sessions.remove(s.id);
        long now = System.nanoTime();
        for (Kv k : new ArrayList<>(kv.values())) {
            if (s.id.equals(k.session)) {
                index++;
                kvIndex = index;
                if (s.behavior.equals("delete")) {
                    kv.remove(k.key);
                } else {
                    k.session = null;
                    k.modifyIndex = index;
                }
                k.lockDelayUntilNanos = now + s.lockDelayNanos;
            }
        }
        notifyAll();
    }

    // ---- KV ----------------------------------------------------------------------------------

    private synchronized Answer kvGet(String key, Map<String, String> params) throws InterruptedException {
        tick();
        if (params.containsKey("index")) {
            long min;
            try {
                min = Long.parseLong(params.get("index"));
            } catch (NumberFormatException e) {
                return Answer.of(400, "Invalid index");
            }
            long wait = Duration.ofMinutes(5).toNanos();
            if (params.containsKey("wait")) {
                Long w = duration(params.get("wait"));
                if (w == null) {
                    return Answer.of(400, "Invalid wait time");
                }
                wait = Math.min(w, Duration.ofMinutes(10).toNanos());
            }
            long deadline = System.nanoTime() + wait;
            while (min > 0 && keyIndex(key) <= min && System.nanoTime() < deadline) {
                wait(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000)));
                tick();
            }
        }
        Kv k = kv.get(key);
        Map<String, String> headers = Map.of("X-Consul-Index", Long.toString(keyIndex(key)));
        if (k == null) {
            return new Answer(404, "", headers);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("LockIndex", k.lockIndex);
        o.put("Key", k.key);
        o.put("Flags", k.flags);
        if (k.value == null || k.value.length == 0) {
            o.putNull("Value");
        } else {
            o.put("Value", Base64.getEncoder().encodeToString(k.value));
        }
        if (k.session != null) {
            o.put("Session", k.session);
        }
        o.put("CreateIndex", k.createIndex);
        o.put("ModifyIndex", k.modifyIndex);
        return new Answer(200, "[" + o + "]", headers);
    }

    private long keyIndex(String key) {
        Kv k = kv.get(key);
        return k == null ? kvIndex : k.modifyIndex;
    }

    private synchronized Answer kvPut(String key, Map<String, String> params, String body) {
        tick();
        if (body.length() > 512 * 1024) {
            return Answer.of(413, "Value exceeds 524288 byte limit");
        }
        byte[] value = body.getBytes(StandardCharsets.UTF_8);
        Kv k = kv.get(key);
        long now = System.nanoTime();
        if (params.containsKey("acquire")) {
            String sid = params.get("acquire");
            if (!sessions.containsKey(sid)) {
                return Answer.of(500, "invalid session \"" + sid + "\"");
            }
            if (k != null && k.session != null && !k.session.equals(sid)) {
                return Answer.of(200, "false");
            }
            if (k != null && k.session == null && now < k.lockDelayUntilNanos) {
                return Answer.of(200, "false");
            }
            k = write(key, k, value);
            if (!sid.equals(k.session)) {
                k.lockIndex++;
            }
            k.session = sid;
            notifyAll();
            return Answer.of(200, "true");
        }
        if (params.containsKey("release")) {
            String sid = params.get("release");
            if (k == null || !sid.equals(k.session)) {
                return Answer.of(200, "false");
            }
            k = write(key, k, value);
            k.session = null;
            notifyAll();
            return Answer.of(200, "true");
        }
        write(key, k, value);
        notifyAll();
        return Answer.of(200, "true");
    }

    private Kv write(String key, Kv existing, byte[] value) {
        index++;
        kvIndex = index;
        Kv k = existing;
        if (k == null) {
            k = new Kv();
            k.key = key;
            k.createIndex = index;
            kv.put(key, k);
        }
        k.value = value;
        k.modifyIndex = index;
        return k;
    }

    private synchronized Answer kvDelete(String key) {
        tick();
        if (kv.remove(key) != null) {
            index++;
            kvIndex = index;
            notifyAll();
        }
        return Answer.of(200, "true");
    }

    // ---- time --------------------------------------------------------------------------------

    /** Applies what time did: TTL checks expire, critical services are reaped, sessions expire. */
    private void tick() {
        long now = System.nanoTime();
        for (Service s : new ArrayList<>(services.values())) {
            Check c = s.check;
            if (c == null) {
                continue;
            }
            if (c.ttlNanos > 0 && !"critical".equals(c.status) && now - c.updatedNanos > c.ttlNanos) {
                c.status = "critical";
                c.output = "TTL expired";
                c.criticalSinceNanos = c.updatedNanos + c.ttlNanos;
                touch(s);
            }
            if ("critical".equals(c.status) && c.deregisterAfterNanos > 0
                    && now - c.criticalSinceNanos > c.deregisterAfterNanos) {
                services.remove(s.agent + "/" + s.id);
                index++;
                notifyAll();
            }
        }
        for (Session s : new ArrayList<>(sessions.values())) {
            if (s.ttlNanos > 0 && now - s.renewedNanos > 2 * s.ttlNanos) {
                invalidate(s);
            }
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    static Map<String, String> params(String rawQuery) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String part : rawQuery.split("&")) {
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    /** Go's JSON decoding matches field names case-insensitively; so does the double. */
    private static JsonNode field(JsonNode object, String name) {
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static Optional<String> unknownField(JsonNode object, Set<String> known) {
        if (!object.isObject()) {
            return Optional.of("(not an object)");
        }
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            if (!known.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** A Go duration ("30s", "1m30s", "500ms") in nanoseconds, or null when malformed. */
    static Long duration(String text) {
        if (text.equals("0")) {
            return 0L;
        }
        if (!DURATION.matcher(text).matches()) {
            return null;
        }
        Matcher m = DURATION_PART.matcher(text);
        double nanos = 0;
        while (m.find()) {
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1_000;
                case "ms" -> 1_000_000;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
        }
        return (long) nanos;
    }
}
