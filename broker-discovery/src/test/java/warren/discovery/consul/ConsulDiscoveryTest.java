package warren.discovery.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

class ConsulDiscoveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConsulDouble consul;
    private final List<ConsulDiscovery> started = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        consul = ConsulDouble.start();
    }

    @AfterEach
    void stop() {
        for (ConsulDiscovery d : started) {
            try {
                d.unregister();
            } catch (RuntimeException ignored) {
                // the agent may be stopped or refusing on purpose
            }
        }
        consul.close();
    }

    /** A backend for {@code node} on the double's agent 0, listening on 127.0.0.1:{@code clusterPort}. */
    private ConsulDiscovery backend(String node, int clusterPort, Duration timeout, String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.peer_discovery_backend", "consul");
        values.put("cluster_formation.consul.host", consul.host());
        values.put("cluster_formation.consul.port", Integer.toString(consul.port()));
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        values.values().removeIf(v -> v == null);
        ConsulDiscovery d = new ConsulDiscovery(new DiscoverySettings(node, values, "127.0.0.1", clusterPort), timeout);
        started.add(d);
        return d;
    }

    private ConsulDiscovery backend(String node, int clusterPort, String... keyValues) {
        return backend(node, clusterPort, Duration.ofSeconds(5), keyValues);
    }


    private List<ConsulDouble.Request> requests(String method, String pathPrefix) {
        return consul.requests().stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix))
                .toList();
    }

    private HttpResponse<String> raw(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + consul.address(0) + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void registerSendsConsulsFieldsWithATtlCheckThatStartsPassing() throws Exception {
        ConsulDiscovery a = backend("warren@node1", 25001,
                "cluster_formation.consul.svc_tags.1", "qa", "cluster_formation.consul.svc_tags.2", "3.8",
                "cluster_formation.consul.svc_meta.owner", "team-xyz",
                "cluster_formation.consul.deregister_after", "90");

        a.register();

        List<ConsulDouble.Request> reg = requests("PUT", "/v1/agent/service/register");
        assertEquals(1, reg.size());
        JsonNode body = JSON.readTree(reg.get(0).body());
        assertEquals("rabbitmq:warren@node1", body.get("ID").asText());
        assertEquals("rabbitmq", body.get("Name").asText());
        assertEquals("127.0.0.1", body.get("Address").asText(), "the listener address is registered");
        assertEquals(5672, body.get("Port").asInt());
        assertEquals("[\"qa\",\"3.8\"]", body.get("Tags").toString());
        assertEquals("team-xyz", body.get("Meta").get("owner").asText());
        assertEquals("warren@node1", body.get("Meta").get("warren-node").asText());
        assertEquals("25001", body.get("Meta").get("warren-cluster-port").asText());
        JsonNode check = body.get("Check");
        assertEquals("30s", check.get("TTL").asText());
        assertEquals("passing", check.get("Status").asText());
        assertEquals("90s", check.get("DeregisterCriticalServiceAfter").asText());
        assertEquals(Optional.of("passing"), consul.checkStatus("rabbitmq:warren@node1"),
                "passing from the start, so nodes starting together see each other");
        assertTrue(a.heartbeating());
    }

    @Test
    void twoRegisteredNodesDiscoverEachOtherWithTheirAddresses() {
        ConsulDiscovery a = backend("warren@node1", 25001);
        ConsulDiscovery b = backend("warren@node2", 25002);
        a.register();
        b.register();

        DiscoveredPeers peers = a.discover();

        assertEquals(List.of("warren@node1", "warren@node2"), peers.nodes());
        assertEquals(Optional.of("127.0.0.1:25001"), peers.address("warren@node1"));
        assertEquals(Optional.of("127.0.0.1:25002"), peers.address("warren@node2"));
        assertEquals(peers.nodes(), b.discover().nodes());
        ConsulDouble.Request list = requests("GET", "/v1/health/service/rabbitmq").get(0);
        assertEquals(Map.of("passing", ""), list.params());
    }

    @Test
    void aNodeThatStopsPassingItsTtlDropsOutOfDiscovery() throws Exception {
        ConsulDiscovery a = backend("warren@node1", 25001, "cluster_formation.consul.svc_ttl", "1");
        ConsulDiscovery b = backend("warren@node2", 25002, "cluster_formation.consul.svc_ttl", "1");
        a.register();
        b.register();
        assertEquals(2, a.discover().nodes().size());
        // node2's heartbeats are throttled away (429 is only logged, as RabbitMQ does)
        consul.failWith("/v1/agent/check/pass/service:rabbitmq:warren@node2", 429);

        ConsulDouble.await("node2's check to go critical", () -> consul.checkStatus("rabbitmq:warren@node2")
                .equals(Optional.of("critical")));

        assertEquals(List.of("warren@node1"), a.discover().nodes(), "node1 keeps passing its TTL");
        assertFalse(requests("PUT", "/v1/agent/check/pass/service:rabbitmq:warren@node1").isEmpty());
    }

    @Test
    void includeNodesWithWarningsListsWarningButNotCriticalInstances() {
        ConsulDiscovery a = backend("warren@node1", 25001,
                "cluster_formation.consul.include_nodes_with_warnings", "true");
        ConsulDiscovery b = backend("warren@node2", 25002);
        ConsulDiscovery c = backend("warren@node3", 25003);
        a.register();
        b.register();
        c.register();
        consul.setCheckStatus("rabbitmq:warren@node2", "warning");
        consul.setCheckStatus("rabbitmq:warren@node3", "critical");

        assertEquals(List.of("warren@node1", "warren@node2"), a.discover().nodes());
        assertEquals(Map.of(), requests("GET", "/v1/health/service/").get(0).params(), "no ?passing");
    }

    @Test
    void unregisterRemovesTheServiceAndStopsTheHeartbeat() {
        ConsulDiscovery a = backend("warren@node1", 25001);
        a.register();

        a.unregister();

        assertEquals(List.of(), consul.serviceIds(0));
        assertFalse(a.heartbeating());
        assertEquals("/v1/agent/service/deregister/rabbitmq:warren@node1",
                requests("PUT", "/v1/agent/service/deregister/").get(0).path());
        a.unregister(); // unknown to the agent now: 404, taken as done
    }

    @Test
    void theHeartbeatReRegistersWhenTheAgentForgotTheService() throws Exception {
        ConsulDiscovery a = backend("warren@node1", 25001, "cluster_formation.consul.svc_ttl", "1");
        a.register();
        assertEquals(200, raw("PUT", "/v1/agent/service/deregister/rabbitmq:warren@node1", null).statusCode());

        ConsulDouble.await("the backend to register again after the 404 of its heartbeat",
                () -> consul.serviceIds(0).contains("rabbitmq:warren@node1"));
        assertEquals(2, requests("PUT", "/v1/agent/service/register").size());
    }

    @Test
    void aClusterNameBecomesATagAndMetaAndFiltersDiscovery() throws Exception {
        ConsulDiscovery a = backend("warren@node1", 25001, "cluster_formation.consul.cluster_name", "qa",
                "cluster_formation.consul.svc_tags.1", "blue");
        ConsulDiscovery other = backend("warren@node9", 25009, "cluster_formation.consul.cluster_name", "prod");
        a.register();
        other.register();

        JsonNode body = JSON.readTree(requests("PUT", "/v1/agent/service/register").get(0).body());
        assertEquals("[\"qa\",\"blue\"]", body.get("Tags").toString());
        assertEquals("qa", body.get("Meta").get("cluster").asText());
        assertEquals(List.of("warren@node1"), a.discover().nodes());
        assertEquals("qa", requests("GET", "/v1/health/service/").get(0).params().get("tag"));
    }

    @Test
    void instancesWithoutWarrenMetaAreNamedByRabbitMqsRule() throws Exception {
        // registered the way RabbitMQ's plugin does: no node name in the meta
        assertEquals(200, raw("PUT", "/v1/agent/service/register", "{\"ID\":\"rabbitmq:host2.example.com\","
                + "\"Name\":\"rabbitmq\",\"Address\":\"host2.example.com\",\"Port\":5672}").statusCode());
        assertEquals(200, raw("PUT", "/v1/agent/service/register",
                "{\"ID\":\"rabbitmq\",\"Name\":\"rabbitmq\",\"Port\":5672}").statusCode());

        DiscoveredPeers shortNames = backend("warren@host1", 0).discover();
        assertEquals(List.of("warren@host2", "warren@consul-agent-0"), shortNames.nodes());
        assertEquals(Optional.of("host2.example.com"), shortNames.address("warren@host2"));
        assertEquals(Optional.of("127.0.0.1"), shortNames.address("warren@consul-agent-0"),
                "no service address: the Consul node's");

        DiscoveredPeers longNames = backend("warren@host1.example.com", 0,
                "cluster_formation.consul.use_longname", "true",
                "cluster_formation.consul.domain_suffix", "example.local").discover();
        assertEquals(List.of("warren@host2.example.com", "warren@consul-agent-0.node.example.local"),
                longNames.nodes());
    }

    @Test
    void theAclTokenGoesOnEveryRequestAndARefusalNamesTheKey() throws Exception {
        consul.requireToken("s3cret");
        ConsulDiscovery a = backend("warren@node1", 25001, "cluster_formation.consul.acl_token", "s3cret");
        a.register();
        a.discover();
        a.lock(java.util.Set.of("warren@node1")).orElseThrow().close();
        a.unregister();
        assertTrue(consul.requests().size() >= 7);
        consul.requests().forEach(r -> assertEquals(Optional.of("s3cret"), r.token(), r.method() + " " + r.path()));

        ConsulDiscovery wrong = backend("warren@node2", 25002, "cluster_formation.consul.acl_token", "guess");
        DiscoveryException e = assertThrows(DiscoveryException.class, wrong::register);
        assertTrue(e.getMessage().contains("403 'ACL not found'"), e.getMessage());
        assertTrue(e.getMessage().contains("cluster_formation.consul.acl_token"), e.getMessage());

        ConsulDiscovery none = backend("warren@node3", 25003);
        e = assertThrows(DiscoveryException.class, none::register);
        assertTrue(e.getMessage().contains("403 'Permission denied"), e.getMessage());
        assertEquals(List.of(), none.discover().nodes(), "anonymous reads are filtered, as Consul does");
    }

    @Test
    void aRequestNobodyAnswersGoesToTheNextAgent() throws Exception {
        try (ConsulDouble two = ConsulDouble.start(2)) {
            Map<String, String> values = new HashMap<>();
            values.put("cluster_formation.consul.hosts.1", two.address(0));
            values.put("cluster_formation.consul.hosts.2", two.address(1));
            ConsulDiscovery a = new ConsulDiscovery(new DiscoverySettings("warren@node1", values, "127.0.0.1", 25001),
                    Duration.ofMillis(400));
            two.slowDown(0, "/v1/agent/service/register", Duration.ofSeconds(2));

            a.register();
            assertEquals(List.of("rabbitmq:warren@node1"), two.serviceIds(1), "the slow agent was given up");

            two.stopAgent(0);
            assertEquals(List.of("warren@node1"), a.discover().nodes());
            assertTrue(two.requests().stream().anyMatch(r -> r.agent() == 1 && r.path().startsWith("/v1/health/")));
            a.unregister();
            assertEquals(List.of(), two.serviceIds(1));
        }
    }

    @Test
    void errorsAndSlowAnswersAreDiscoveryExceptionsTheCallerCanRetry() {
        ConsulDiscovery a = backend("warren@node1", 25001, Duration.ofMillis(300));
        a.register();
        consul.failWith("/v1/health/service/", 500);
        DiscoveryException e = assertThrows(DiscoveryException.class, a::discover);
        assertTrue(e.getMessage().contains("answered 500"), e.getMessage());

        consul.clearFaults();
        consul.slowDown(-1, "/v1/health/service/", Duration.ofSeconds(1));
        e = assertThrows(DiscoveryException.class, a::discover);
        assertTrue(e.getMessage().contains("/v1/health/service/rabbitmq"), e.getMessage());

        consul.clearFaults();
        assertEquals(List.of("warren@node1"), a.discover().nodes(), "the next attempt works");
    }

    @Test
    void aBackendWithNoAgentListeningFailsOnlyWhenAsked() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ConsulDiscovery d = new ConsulDiscovery(new DiscoverySettings("warren@node1", Map.of(
                "cluster_formation.consul.host", "127.0.0.1", "cluster_formation.consul.port", Integer.toString(port))));
        DiscoveryException e = assertThrows(DiscoveryException.class, d::discover);
        assertTrue(e.getMessage().startsWith("consul: GET http://127.0.0.1:" + port), e.getMessage());
    }
}
