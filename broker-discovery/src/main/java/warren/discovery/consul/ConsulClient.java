package warren.discovery.consul;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveryException;
import warren.discovery.http.BackendHttp;

/**
 * Consul's HTTP API over {@link BackendHttp}: the ACL token on every request, JSON bodies, and
 * failover across {@code cluster_formation.consul.hosts.N}. A request that gets no answer (refused,
 * timed out) goes to the next agent, which then stays the current one; a request that gets an
 * answer, whatever its status, is not repeated elsewhere.
 */
final class ConsulClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN_HEADER = "X-Consul-Token";

    private static final Logger LOG = LoggerFactory.getLogger(ConsulClient.class);

    private final BackendHttp http;
    private final String scheme;
    private final List<ConsulSettings.Agent> agents;
    private final Optional<String> token;
    private volatile int current;

    ConsulClient(BackendHttp http, ConsulSettings settings) {
        this.http = http;
        this.scheme = settings.scheme;
        this.agents = settings.agents;
        this.token = settings.aclToken;
    }

    /** A one-thread scheduler on a daemon thread named {@code name}, for heartbeats and renewals. */
    static java.util.concurrent.ScheduledExecutorService daemonScheduler(String name) {
        return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** A path segment, percent-encoded ({@code rabbitmq:warren@host1} stays readable enough). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + body, e);
        }
    }

    /** The agent requests go to now, {@code host:port}. */
    String currentAgent() {
        return agents.get(current).authority();
    }

    /**
     * Sends {@code method pathAndQuery} (with {@code body} as JSON text when not null) to the
     * current agent, or the next ones when it does not answer.
     *
     * @param timeout the request's timeout, or null for the client's
     * @throws DiscoveryException when no agent answered
     */
    HttpResponse<String> send(String method, String pathAndQuery, String body, Duration timeout) {
        DiscoveryException last = null;
        int start = current;
        for (int i = 0; i < agents.size(); i++) {
            int index = (start + i) % agents.size();
            ConsulSettings.Agent agent = agents.get(index);
            HttpRequest.Builder b = http.request(URI.create(scheme + "://" + agent.authority() + pathAndQuery))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            token.ifPresent(t -> b.header(TOKEN_HEADER, t));
            if (timeout != null) {
                b.timeout(timeout);
            }
            try {
                HttpResponse<String> response = http.send(b.build());
                if (index != current) {
                    LOG.warn("Peer discovery Consul: agent {} answers; using it from now on", agent.authority());
                    current = index;
                }
                return response;
            } catch (DiscoveryException e) {
                if (!(e.getCause() instanceof IOException)) {
                    throw e;
                }
                last = e;
                if (agents.size() > 1) {
                    LOG.warn("Peer discovery Consul: agent {} did not answer {} {} ({}){}", agent.authority(), method,
                            pathAndQuery.replaceAll("\\?.*", ""), e.getCause().toString(),
                            i + 1 < agents.size() ? "; trying the next agent" : "");
                }
            }
        }
        if (agents.size() == 1) {
            throw last;
        }
        throw new DiscoveryException("consul: none of the agents " + agents.stream().map(ConsulSettings.Agent::authority)
                .toList() + " (" + ConsulSettings.HOSTS + ".N) answered " + method + " "
                + pathAndQuery.replaceAll("\\?.*", "") + "; last error: " + last.getMessage(), last);
    }

    /**
     * The response's body when its status is 200, else the exception saying what Consul answered;
     * a 403 names the ACL token key.
     */
    static String ok(HttpResponse<String> r, String what) {
        if (r.statusCode() == 200) {
            return r.body();
        }
        throw failure(r, what);
    }

    static DiscoveryException failure(HttpResponse<String> r, String what) {
        String body = r.body() == null ? "" : r.body().trim();
        if (body.length() > 300) {
            body = body.substring(0, 300) + "...";
        }
        String text = "consul: " + what + " failed: " + r.request().method() + " " + r.request().uri().getPath()
                + " answered " + r.statusCode() + (body.isEmpty() ? "" : " '" + body + "'");
        if (r.statusCode() == 403) {
            text += "; check the ACL token in " + ConsulSettings.ACL_TOKEN
                    + " and its policy (service:write and read on the service, node:read, key:write and session:write "
                    + "for the lock)";
        }
        return new DiscoveryException(text);
    }

    static JsonNode parse(String body, String what) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new DiscoveryException("consul: " + what + ": the answer is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
