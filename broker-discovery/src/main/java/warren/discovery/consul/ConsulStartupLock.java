package warren.discovery.consul;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;

/**
 * The held startup lock: a Consul session that holds the KV key
 * {@code <lock_prefix>/<cluster_name>/startup_lock}, renewed every half session TTL until
 * {@link #close()} releases the key and destroys the session.
 */
final class ConsulStartupLock implements DiscoveryLock {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulStartupLock.class);
    /** Consul refuses session TTLs below 10 s. */
    static final int MIN_SESSION_TTL = 10;
    /** Longest single blocking query; the wait is repeated until lock_timeout. */
    private static final int MAX_BLOCK_SECONDS = 60;
    /** Pause before retrying when the key is free but Consul refused it (its lock-delay). */
    private static final long FREE_RETRY_MILLIS = 500;

    private final ConsulDiscovery owner;
    private final ConsulClient client;
    private final String keyPath;
    private final String sessionId;
    private final ScheduledExecutorService renewer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ConsulStartupLock(ConsulDiscovery owner, ConsulClient client, String keyPath, String sessionId,
            ScheduledExecutorService renewer) {
        this.owner = owner;
        this.client = client;
        this.keyPath = keyPath;
        this.sessionId = sessionId;
        this.renewer = renewer;
    }

    static ConsulStartupLock acquire(ConsulDiscovery owner, ConsulClient client, ConsulSettings settings,
            String nodeName) {
        String key = settings.lockKey();
        String keyPath = "/v1/kv/" + key.replace("%", "%25").replace(" ", "%20");
        int ttl = Math.max(MIN_SESSION_TTL, settings.ttlSeconds);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("Name", nodeName);
        body.put("TTL", ttl + "s");
        JsonNode created = ConsulClient.parse(ConsulClient.ok(client.send("PUT", "/v1/session/create",
                ConsulClient.json(body), null), "creating a session for the startup lock"), "creating a session");
        String sessionId = created.path("ID").asText("");
        if (sessionId.isEmpty()) {
            throw new DiscoveryException("consul: session create answered no ID: " + created);
        }
        ScheduledExecutorService renewer = ConsulClient.daemonScheduler("warren-consul-session");
        ConsulStartupLock lock = new ConsulStartupLock(owner, client, keyPath, sessionId, renewer);
        renewer.scheduleAtFixedRate(lock::renew, ttl * 500L, ttl * 500L, TimeUnit.MILLISECONDS);
        try {
            lock.waitFor(nodeName, settings.lockTimeoutSeconds, key);
            return lock;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private void waitFor(String nodeName, int timeoutSeconds, String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        String acquire = keyPath + "?acquire=" + sessionId;
        Optional<String> lastHolder = Optional.empty();
        while (true) {
            String answer = ConsulClient.ok(client.send("PUT", acquire, nodeName, null), "acquiring the startup lock "
                    + key).trim();
            if ("true".equals(answer)) {
                owner.lockHolder(Optional.of(nodeName));
                LOG.info("Peer discovery Consul: {} holds the startup lock {}", nodeName, key);
                return;
            }
            long remainingNanos = deadline - System.nanoTime();
            HttpResponse<String> r = client.send("GET", keyPath, null, null);
            Optional<JsonNode> entry = Optional.empty();
            if (r.statusCode() != 404) {
                JsonNode arr = ConsulClient.parse(ConsulClient.ok(r, "reading the startup lock " + key), "reading "
                        + key);
                entry = arr.isArray() && !arr.isEmpty() ? Optional.of(arr.get(0)) : Optional.empty();
            }
            boolean held = entry.map(e -> !e.path("Session").asText("").isEmpty()).orElse(false);
            Optional<String> holder = held ? entry.map(ConsulStartupLock::value) : Optional.empty();
            owner.lockHolder(holder);
            if (remainingNanos <= 0) {
                throw new DiscoveryException("consul: acquiring the startup lock " + key
                        + " taking too long, bailing out after " + timeoutSeconds + " s (" + ConsulSettings.LOCK_TIMEOUT
                        + "); it is held by " + holder.orElse(held ? "an unnamed session" : "no one (Consul's lock-delay)"));
            }
            if (!held) {
                // Free but refused: the lock-delay after an expired holder. Poll briefly.
                sleep(Math.min(FREE_RETRY_MILLIS, TimeUnit.NANOSECONDS.toMillis(remainingNanos) + 1));
                continue;
            }
            if (!holder.equals(lastHolder)) {
                LOG.info("Peer discovery Consul: waiting for the startup lock {} held by {} (up to {} s)", key,
                        holder.orElse("an unnamed session"), TimeUnit.NANOSECONDS.toSeconds(remainingNanos));
                lastHolder = holder;
            }
            long wait = Math.max(1, Math.min(MAX_BLOCK_SECONDS, TimeUnit.NANOSECONDS.toSeconds(remainingNanos + 999_999_999L)));
            long index = entry.get().path("ModifyIndex").asLong(0);
            // Consul adds up to wait/16 of jitter to a blocking query.
            Duration timeout = Duration.ofSeconds(wait + wait / 16 + 5);
            ConsulClient.ok(client.send("GET", keyPath + "?index=" + index + "&wait=" + wait + "s", null, timeout),
                    "waiting for the startup lock " + key);
        }
    }

    private static String value(JsonNode entry) {
        String b64 = entry.path("Value").asText("");
        if (b64.isEmpty()) {
            return "an unnamed session " + entry.path("Session").asText();
        }
        try {
            return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "session " + entry.path("Session").asText();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DiscoveryException("consul: interrupted while waiting for the startup lock", e);
        }
    }

    private void renew() {
        try {
            HttpResponse<String> r = client.send("PUT", "/v1/session/renew/" + sessionId, null, null);
            if (r.statusCode() == 404) {
                LOG.warn("Peer discovery Consul: session {} of the startup lock expired; the lock is no longer held",
                        sessionId);
            } else if (r.statusCode() != 200) {
                LOG.warn("Peer discovery Consul: {}", ConsulClient.failure(r, "renewing session " + sessionId)
                        .getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("Peer discovery Consul: renewing session {} failed: {}", sessionId, e.getMessage());
        }
    }

    /** Releases the key, then destroys the session; failures are logged, the session expires anyway. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        renewer.shutdownNow();
        owner.lockHolder(Optional.empty());
        try {
            HttpResponse<String> r = client.send("PUT", keyPath + "?release=" + sessionId, "", null);
            if (r.statusCode() != 200) {
                LOG.warn("Peer discovery Consul: {}", ConsulClient.failure(r, "releasing the startup lock").getMessage());
            } else if (!"true".equals(r.body().trim())) {
                LOG.debug("Peer discovery Consul: session {} did not hold the startup lock at release", sessionId);
            }
        } catch (RuntimeException e) {
            LOG.warn("Peer discovery Consul: releasing the startup lock failed: {}", e.getMessage());
        }
        try {
            HttpResponse<String> r = client.send("PUT", "/v1/session/destroy/" + sessionId, null, null);
            if (r.statusCode() != 200) {
                LOG.warn("Peer discovery Consul: {}", ConsulClient.failure(r, "destroying session " + sessionId)
                        .getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("Peer discovery Consul: destroying session {} failed: {}", sessionId, e.getMessage());
        }
    }

    String sessionId() {
        return sessionId;
    }
}
