package warren.discovery.consul;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.ConfigWarnings;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerNames;
import warren.discovery.RetryPolicy;
import warren.discovery.http.BackendHttp;

/**
 * Peers registered as a Consul service, as RabbitMQ's {@code rabbit_peer_discovery_consul}:
 * {@link #register()} enters this node in the local agent with a TTL check that starts
 * {@code passing} and is passed every {@code svc_ttl / 2}; {@link #discover()} lists the service's
 * healthy instances; {@link #lock} takes the startup lock as a Consul session holding the KV key
 * {@code <lock_prefix>/<cluster_name>/startup_lock}.
 *
 * <p>Each discovered peer comes with the address it registered (the service address, or the Consul
 * node's address when it registered none) and, when it published one, its cluster port, so peers
 * need no resolver for each other's names.
 */
public final class ConsulDiscovery implements PeerDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulDiscovery.class);
    private static final String CHECK_NOTES = "Warren Consul-based peer discovery TTL check";

    private final ConsulSettings settings;
    private final DiscoverySettings discoverySettings;
    private final ConsulClient client;
    private final RetryPolicy retryPolicy;
    private final Object heartbeatLock = new Object();
    private ScheduledExecutorService heartbeat;
    private volatile Optional<String> lockHolder = Optional.empty();

    /** The backend with the HTTP client's default request timeout. */
    public ConsulDiscovery(DiscoverySettings settings) {
        this(settings, BackendHttp.DEFAULT_TIMEOUT);
    }

    /**
     * @param requestTimeout how long one request to an agent may take before the next agent is
     *     tried (blocking lock queries get their wait on top)
     * @throws DiscoveryException naming the key when a setting is malformed
     */
    public ConsulDiscovery(DiscoverySettings settings, Duration requestTimeout) {
        this.discoverySettings = settings;
        this.settings = new ConsulSettings(settings);
        this.client = new ConsulClient(BackendHttp.create(settings, ConsulDiscoveryFactory.TYPE, requestTimeout),
                this.settings);
        this.retryPolicy = RetryPolicy.from(settings);
        if (this.settings.svcAddrUseNodename && !this.settings.svcAddrAuto) {
            ConfigWarnings.warnOnce(LOG, "Peer discovery Consul: " + ConsulSettings.SVC_ADDR_USE_NODENAME
                    + " can be used only if " + ConsulSettings.SVC_ADDR_AUTO + " is true; its value will be ignored");
        }
        this.settings.deregisterAfterSeconds.ifPresent(s -> {
            if (s < 60) {
                ConfigWarnings.warnOnce(LOG, "Peer discovery Consul: " + ConsulSettings.DEREGISTER_AFTER + " = " + s
                        + " is below Consul's minimum of 60 seconds; Consul will use 60");
            }
        });
    }

    @Override
    public String type() {
        return ConsulDiscoveryFactory.TYPE;
    }

    @Override
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    @Override
    public boolean supportsRegistration() {
        return true;
    }

    /** The service ID this node registers under: {@code <svc>:<node name>}. */
    public String serviceId() {
        return settings.service + ":" + discoverySettings.localNodeName();
    }

    /**
     * The node that held the startup lock when this backend last looked: another node while
     * {@link #lock} waits for it, this node while it holds it, empty otherwise. No I/O.
     */
    public Optional<String> lockHolder() {
        return lockHolder;
    }

    void lockHolder(Optional<String> holder) {
        lockHolder = holder;
    }

    // ---- discovery -------------------------------------------------------------------------

    @Override
    public DiscoveredPeers discover() {
        StringBuilder path = new StringBuilder("/v1/health/service/").append(ConsulClient.segment(settings.service));
        List<String> query = new ArrayList<>();
        if (!settings.includeWarnings) {
            query.add("passing");
        }
        if (!ConsulSettings.DEFAULT_CLUSTER.equals(settings.clusterName)) {
            query.add("tag=" + ConsulClient.segment(settings.clusterName));
        }
        if (!query.isEmpty()) {
            path.append('?').append(String.join("&", query));
        }
        HttpResponse<String> r = client.send("GET", path.toString(), null, null);
        JsonNode entries = ConsulClient.parse(ConsulClient.ok(r, "listing service '" + settings.service + "'"),
                "listing service '" + settings.service + "'");
        if (!entries.isArray()) {
            throw new DiscoveryException("consul: listing service '" + settings.service
                    + "': expected a JSON array, got " + entries.getNodeType());
        }
        if (entries.isEmpty() && r.headers().firstValue("X-Consul-Results-Filtered-By-ACLs").isPresent()) {
            LOG.warn("Peer discovery Consul: the agent filtered service '{}' by ACLs; the token in {} may lack "
                    + "service:read on it and node:read", settings.service, ConsulSettings.ACL_TOKEN);
        }
        List<JsonNode> sorted = new ArrayList<>();
        entries.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(e -> e.path("Service").path("CreateIndex").asLong(Long.MAX_VALUE)));
        List<String> nodes = new ArrayList<>();
        Map<String, String> addresses = new LinkedHashMap<>();
        for (JsonNode entry : sorted) {
            if (settings.includeWarnings && critical(entry)) {
                continue;
            }
            peer(entry).ifPresent(p -> {
                if (!nodes.contains(p.getKey())) {
                    nodes.add(p.getKey());
                    if (!p.getValue().isEmpty()) {
                        addresses.put(p.getKey(), p.getValue());
                    }
                }
            });
        }
        LOG.info("Peer discovery Consul: service '{}' lists {}", settings.service, nodes.isEmpty() ? "no nodes" : nodes);
        return new DiscoveredPeers(nodes, settings.nodeType, addresses);
    }

    /** With include_nodes_with_warnings, RabbitMQ keeps an instance only when no check is critical. */
    private static boolean critical(JsonNode entry) {
        for (JsonNode check : entry.path("Checks")) {
            String status = check.path("Status").asText();
            if (!"passing".equals(status) && !"warning".equals(status)) {
                return true;
            }
        }
        return false;
    }

    /** The node name and address ("" when none) of one health entry, when it names a node. */
    private Optional<Map.Entry<String, String>> peer(JsonNode entry) {
        JsonNode service = entry.path("Service");
        String serviceAddress = service.path("Address").asText("");
        String nodeAddress = entry.path("Node").path("Address").asText("");
        String consulNode = entry.path("Node").path("Node").asText("");
        String name = service.path("Meta").path(ConsulSettings.META_NODE).asText("");
        if (name.indexOf('@') <= 0) {
            String host;
            if (!serviceAddress.isEmpty()) {
                host = serviceAddress;
            } else if (!consulNode.isEmpty()) {
                host = settings.useLongname ? consulNode + ".node." + settings.domainSuffix : consulNode;
            } else {
                LOG.warn("Peer discovery Consul: instance {} of service '{}' has neither a service address nor a node;"
                        + " ignored", service.path("ID").asText("?"), settings.service);
                return Optional.empty();
            }
            name = host.indexOf('@') > 0 ? host : PeerNames.peerName(discoverySettings.localNodeName(), host);
        }
        String address = serviceAddress.isEmpty() ? nodeAddress : serviceAddress;
        String port = service.path("Meta").path(ConsulSettings.META_CLUSTER_PORT).asText("");
        if (!address.isEmpty() && port.matches("[1-9][0-9]{0,4}")) {
            address = (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
        }
        return Optional.of(Map.entry(name, address));
    }

    // ---- registration ----------------------------------------------------------------------

    /**
     * Registers this node's service with a TTL check that starts passing, then passes it every
     * {@code svc_ttl / 2} until {@link #unregister()}.
     */
    @Override
    public void register() {
        registerOnce();
        synchronized (heartbeatLock) {
            if (heartbeat == null) {
                heartbeat = ConsulClient.daemonScheduler("warren-consul-ttl");
                long period = Math.max(100, settings.ttlSeconds * 500L);
                heartbeat.scheduleAtFixedRate(this::passCheck, period, period, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void registerOnce() {
        Optional<String> address = serviceAddress();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ID", serviceId());
        body.put("Name", settings.service);
        address.ifPresent(a -> body.put("Address", a));
        body.put("Port", settings.svcPort);
        List<String> tags = settings.registeredTags();
        if (!tags.isEmpty()) {
            body.put("Tags", tags);
        }
        Map<String, String> meta = new LinkedHashMap<>(settings.meta);
        if (!ConsulSettings.DEFAULT_CLUSTER.equals(settings.clusterName)) {
            meta.put(ConsulSettings.META_CLUSTER, settings.clusterName);
        }
        meta.put(ConsulSettings.META_NODE, discoverySettings.localNodeName());
        if (discoverySettings.localClusterPort() > 0) {
            meta.put(ConsulSettings.META_CLUSTER_PORT, Integer.toString(discoverySettings.localClusterPort()));
        }
        body.put("Meta", meta);
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("Notes", CHECK_NOTES);
        check.put("TTL", settings.ttlSeconds + "s");
        check.put("Status", "passing");
        settings.deregisterAfterSeconds.ifPresent(s -> check.put("DeregisterCriticalServiceAfter", s + "s"));
        body.put("Check", check);
        String json = ConsulClient.json(body);
        LOG.debug("Consul registration body: {}", json);
        ConsulClient.ok(client.send("PUT", "/v1/agent/service/register", json, null),
                "registering service " + serviceId());
        LOG.info("Peer discovery Consul: registered {} as service '{}' (ID {}, address {}) with agent {}",
                discoverySettings.localNodeName(), settings.service, serviceId(),
                address.orElse("of the agent's node"), client.currentAgent());
    }

    /** One TTL heartbeat; never throws (it runs on the scheduler). */
    void passCheck() {
        try {
            HttpResponse<String> r = client.send("PUT",
                    "/v1/agent/check/pass/" + ConsulClient.segment("service:" + serviceId()), null, null);
            switch (r.statusCode()) {
                case 200:
                    return;
                case 429:
                    LOG.warn("Consul responded to a health check with 429 Too Many Requests");
                    return;
                case 404:
                case 500:
                    // The agent does not know the check: it lost its state, or failover moved us to
                    // another agent. RabbitMQ re-registers then too.
                    LOG.warn("Consul responded to a health check with a {} status, will try re-registering",
                            r.statusCode());
                    registerOnce();
                    return;
                default:
                    LOG.error("Error running Consul health check: {}", ConsulClient.failure(r, "passing the TTL check")
                            .getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("Error running Consul health check: {}", e.getMessage());
        }
    }

    @Override
    public void unregister() {
        synchronized (heartbeatLock) {
            if (heartbeat != null) {
                heartbeat.shutdownNow();
                heartbeat = null;
            }
        }
        LOG.debug("Unregistering with Consul using service ID '{}'", serviceId());
        HttpResponse<String> r = client.send("PUT", "/v1/agent/service/deregister/"
                + ConsulClient.segment(serviceId()), null, null);
        if (r.statusCode() == 404) {
            LOG.info("Peer discovery Consul: service ID '{}' was not registered with agent {}", serviceId(),
                    client.currentAgent());
            return;
        }
        ConsulClient.ok(r, "unregistering service " + serviceId());
        LOG.info("Peer discovery Consul: unregistered service ID '{}'", serviceId());
    }

    /** Whether the TTL heartbeat runs (between register and unregister). */
    public boolean heartbeating() {
        synchronized (heartbeatLock) {
            return heartbeat != null;
        }
    }

    /**
     * The address registered, RabbitMQ's rule: the IPv4 of {@code svc_addr_nic} when set; with
     * {@code svc_addr_auto} the node name's host ({@code svc_addr_use_nodename}) or this host's
     * name; else {@code svc_addr}. Warren: with none of these, the address the node's listeners
     * are bound to, when they are bound to one. Empty means "the agent's node address".
     */
    Optional<String> serviceAddress() {
        if (settings.svcAddrNic.isPresent()) {
            return Optional.of(nicAddress(settings.svcAddrNic.get()));
        }
        if (settings.svcAddrAuto) {
            if (settings.svcAddrUseNodename) {
                return Optional.of(PeerNames.host(discoverySettings.localNodeName()));
            }
            try {
                return Optional.of(InetAddress.getLocalHost().getHostName());
            } catch (UnknownHostException e) {
                throw new DiscoveryException("consul: " + ConsulSettings.SVC_ADDR_AUTO
                        + " = true but this host's name is unknown: " + e.getMessage(), e);
            }
        }
        if (settings.svcAddr.isPresent()) {
            return settings.svcAddr;
        }
        return discoverySettings.localAddress();
    }

    /** The first IPv4 address of interface {@code nic} (RabbitMQ's choice), else its first other one. */
    static String nicAddress(String nic) {
        NetworkInterface ni;
        try {
            ni = NetworkInterface.getByName(nic);
        } catch (SocketException e) {
            throw new DiscoveryException("config key '" + ConsulSettings.SVC_ADDR_NIC + "': cannot read interface '"
                    + nic + "': " + e.getMessage(), e);
        }
        if (ni == null) {
            throw new DiscoveryException("config key '" + ConsulSettings.SVC_ADDR_NIC + "': no network interface named '"
                    + nic + "'");
        }
        List<InetAddress> all = Collections.list(ni.getInetAddresses());
        return all.stream().filter(a -> a instanceof Inet4Address).findFirst()
                .or(() -> all.stream().filter(a -> !a.isLinkLocalAddress()).findFirst())
                .map(a -> a.getHostAddress().replaceAll("%.*", ""))
                .orElseThrow(() -> new DiscoveryException("config key '" + ConsulSettings.SVC_ADDR_NIC
                        + "': interface '" + nic + "' has no address"));
    }

    // ---- startup lock ----------------------------------------------------------------------

    /**
     * Takes the startup lock: a Consul session (TTL {@code svc_ttl}, at least Consul's 10 s,
     * renewed every half TTL) acquiring {@code <lock_prefix>/<cluster_name>/startup_lock} with this
     * node's name as value, waiting with blocking queries up to {@code lock_timeout}.
     *
     * @throws DiscoveryException when Consul cannot be asked, or the lock stayed with another node
     *     for {@code lock_timeout} seconds (the message names it)
     */
    @Override
    public Optional<DiscoveryLock> lock(Set<String> nodes) {
        return Optional.of(ConsulStartupLock.acquire(this, client, settings, discoverySettings.localNodeName()));
    }
}
