package warren.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private WarrenConfig load(String file, Map<String, String> extraEnv) throws Exception {
        Path conf = dir.resolve("warren.conf");
        Files.writeString(conf, file);
        Map<String, String> env = new HashMap<>();
        env.put("WARREN_CONFIG_FILE", conf.toString());
        env.put("WARREN_NODENAME", "warren@testhost");
        env.put("HOME", dir.toString());
        env.putAll(extraEnv);
        return ConfigLoader.load(env, dir, Map.of());
    }

    private ConfigError error(String file) {
        return assertThrows(ConfigError.class, () -> load(file, Map.of()));
    }

    @Test
    void defaultsMatchRabbitMq() throws Exception {
        WarrenConfig c = load("", Map.of());
        assertEquals(5672, c.server().listener().port());
        assertEquals("0.0.0.0", c.server().listener().host());
        assertEquals(35672, c.server().controlPort());
        assertEquals(25672, c.server().distPort());
        assertEquals("guest", c.broker().defaultUser());
        assertEquals(Set.of("guest"), c.broker().loopbackUsers());
        assertEquals(Set.of("administrator"), c.broker().defaultUserTags());
        assertEquals(60, c.broker().heartbeatSeconds());
        assertEquals(List.of("PLAIN", "AMQPLAIN"), c.broker().authMechanisms());
        assertEquals(dir.resolve("var/lib/warren/warren@testhost"), c.broker().dataDir());
        assertEquals(dir.resolve("var/log/warren/warren@testhost.log"), c.server().logging().file());
        assertEquals(dir.resolve(".warren.cookie"), c.server().cookieFile());
    }

    @Test
    void readsAGoodFile() throws Exception {
        WarrenConfig c = load(String.join("\n",
                "# comment",
                "listeners.tcp.default = 127.0.0.1:5673",
                "default_user = admin",
                "default_pass = s3cret",
                "default_vhost = prod",
                "heartbeat = 30",
                "frame_max = 65536",
                "channel_max = 100",
                "max_message_size = 1048576",
                "vm_memory_high_watermark.relative = 0.6",
                "log.console = false",
                "log.console.level = debug",
                "log.file = false",
                "default_user_tags.monitoring = true",
                "loopback_users = none",
                "disk_free_limit.absolute = 2GB",
                "queue_leader_locator = balanced",
                "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_classic_config",
                ""), Map.of());
        assertEquals(new Listener("127.0.0.1", 5673), c.server().listener());
        assertEquals(35673, c.server().controlPort());
        assertEquals("admin", c.broker().defaultUser());
        assertEquals("prod", c.broker().defaultVhost());
        assertEquals(30, c.broker().heartbeatSeconds());
        assertEquals(65536, c.broker().frameMax());
        assertEquals(100, c.broker().channelMax());
        assertEquals(1048576L, c.broker().maxMessageSize());
        assertEquals(0.6, c.broker().memoryHighWatermarkRelative());
        assertFalse(c.server().logging().console());
        assertEquals("debug", c.server().logging().consoleLevel());
        assertNull(c.server().logging().file());
        assertEquals(Set.of("monitoring"), c.broker().defaultUserTags());
        assertEquals(Set.of(), c.broker().loopbackUsers());
        assertEquals(2_000_000_000L, c.value("disk_free_limit.absolute").orElseThrow());
    }

    @Test
    void numberedKeysBecomeSortedLists() throws Exception {
        WarrenConfig c = load(String.join("\n",
                "cluster_formation.classic_config.nodes.10 = warren@host10",
                "cluster_formation.classic_config.nodes.2 = warren@host2",
                "cluster_formation.classic_config.nodes.1 = warren@host1",
                "auth_mechanisms.1 = AMQPLAIN",
                ""), Map.of());
        assertEquals(List.of("warren@host1", "warren@host2", "warren@host10"),
                c.list("cluster_formation.classic_config.nodes"));
        assertEquals(List.of("AMQPLAIN"), c.broker().authMechanisms());
    }

    @Test
    void unquotedNodeNamesAndUrlsWork() throws Exception {
        WarrenConfig c = load("cluster_formation.classic_config.nodes.1 = warren@host1\n", Map.of());
        assertEquals(List.of("warren@host1"), c.list("cluster_formation.classic_config.nodes"));
    }

    @Test
    void unknownKeySuggestsTheClosestKnownKey() {
        ConfigError e = error("hearbeat = 10\n");
        assertTrue(e.getMessage().contains("'hearbeat'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'heartbeat'"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("warren.conf").toString()), e.getMessage());
        ConfigError family = error("default_user_tag.administrator = true\n");
        assertTrue(family.getMessage().contains("did you mean 'default_user_tags.administrator'"), family.getMessage());
    }

    @Test
    void malformedValuesNameKeyValueAndExpectation() {
        ConfigError e = error("heartbeat = abc\n");
        assertEquals("config key 'heartbeat' in " + dir.resolve("warren.conf")
                + ": expected a whole number of seconds >= 0 (0 disables heartbeats), got 'abc'", e.getMessage());
        assertTrue(error("listeners.tcp.default = 99999\n").getMessage().contains("host:port"));
        assertTrue(error("frame_max = 100\n").getMessage().contains(">= 4096"));
        assertTrue(error("log.console = yes\n").getMessage().contains("true or false"));
        assertTrue(error("cluster_formation.node_type = disco\n").getMessage().contains("disc"));
        assertTrue(error("cluster_formation.classic_config.nodes.1 = host1\n").getMessage().contains("warren@host1"));
        assertTrue(error("vm_memory_high_watermark.relative = 1.5\n").getMessage().contains("0.0 and 1.0"));
    }

    @Test
    void environmentOverridesAndIsValidated() throws Exception {
        WarrenConfig c = load("listeners.tcp.default = 127.0.0.1:5672\n", Map.of(
                "WARREN_NODENAME", "hare",
                "WARREN_NODE_PORT", "6000",
                "WARREN_DIST_PORT", "26001",
                "WARREN_DATA_DIR", dir.resolve("d").toString(),
                "WARREN_COOKIE_FILE", dir.resolve("c").toString()));
        assertEquals("hare@" + NodeNames.shortHostname(), c.server().nodeName());
        assertEquals(new Listener("127.0.0.1", 6000), c.server().listener());
        assertEquals(36000, c.server().controlPort());
        assertEquals(26001, c.server().distPort());
        assertEquals(dir.resolve("d"), c.broker().dataDir());
        assertEquals(dir.resolve("c"), c.server().cookieFile());

        ConfigError bad = assertThrows(ConfigError.class, () -> load("", Map.of("WARREN_NODE_PORT", "http")));
        assertEquals("environment variable WARREN_NODE_PORT: expected a TCP port number 0-65535, got 'http'",
                bad.getMessage());
        ConfigError tooHigh = assertThrows(ConfigError.class, () -> load("", Map.of("WARREN_NODE_PORT", "40000")));
        assertTrue(tooHigh.getMessage().contains("set WARREN_CTL_PORT"), tooHigh.getMessage());
        ConfigError name = assertThrows(ConfigError.class, () -> load("", Map.of("WARREN_NODENAME", "a b@c")));
        assertTrue(name.getMessage().startsWith("environment variable WARREN_NODENAME"), name.getMessage());
    }

    @Test
    void missingConfigFileNamedByEnvironmentIsAnError() {
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(
                Map.of("WARREN_CONFIG_FILE", dir.resolve("nope.conf").toString()), dir, Map.of()));
        assertTrue(e.getMessage().contains("WARREN_CONFIG_FILE"), e.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8NamesTheFileLineAndByte() throws Exception {
        Path conf = dir.resolve("warren.conf");
        // Latin-1 "café" on line 3: 0xE9 is the 14th byte of that line
        Files.write(conf, "# ok\nheartbeat = 30\ncluster_name = caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(Map.of("WARREN_CONFIG_FILE",
                conf.toString(), "WARREN_NODENAME", "warren@testhost", "HOME", dir.toString()), dir, Map.of()));
        assertEquals("config file " + conf + " is not UTF-8: line 3, byte 19 (octet 0xE9 at offset 38 of the file) does"
                + " not start a valid UTF-8 character; save the file as UTF-8", e.getMessage());
        assertFalse(e.getMessage().contains("Input length"), e.getMessage());
    }

    @Test
    void utf8WithAByteOrderMarkAndNonAsciiValuesIsFine() throws Exception {
        WarrenConfig c = load("\uFEFF# commentaire\ndefault_vhost = caf\u00e9\n", Map.of());
        assertEquals("caf\u00e9", c.broker().defaultVhost());
    }

    @Test
    void aLineWithoutEqualsIsASyntaxErrorWithItsLineNumber() {
        ConfigError e = error("# comment\nheartbeat = 30\n\nloopback_users.guest false\n");
        assertEquals("Syntax error in " + dir.resolve("warren.conf") + " after line 4 column 1, parsing incomplete:"
                + " line 4 'loopback_users.guest false' is not 'key = value' (no '=')", e.getMessage());
        assertFalse(e.getMessage().contains("not a known key"), e.getMessage());
        assertTrue(error("heartbeat: 30\n").getMessage().contains("line 1 'heartbeat: 30' is not 'key = value'"));
        assertTrue(error("heartbeat = 30\n= 5\n").getMessage().contains("line 2 '= 5' is not 'key = value' (no key"));
    }

    @Test
    void discoveryBackendKeysAreKnownAndRejectedRabbitMqKeysSayWhy() throws Exception {
        load("cluster_formation.peer_discovery_backend = etcd\ncluster_formation.etcd.endpoints.1 = 127.0.0.1:2379\n"
                + "cluster_formation.consul.svc_tags.1 = a\ncluster_formation.k8s.address_type = hostname\n", Map.of());
        ConfigError dh = assertThrows(ConfigError.class, () -> load("cluster_formation.etcd.ssl_options.dh = x\n", Map.of()));
        assertTrue(dh.getMessage().startsWith("config key 'cluster_formation.etcd.ssl_options.dh' in "), dh.getMessage());
        assertTrue(dh.getMessage().contains("is not supported by Warren: "), dh.getMessage());
        ConfigError typo = assertThrows(ConfigError.class, () -> load("cluster_formation.etcd.endpoint.1 = h\n", Map.of()));
        assertTrue(typo.getMessage().contains("is not a known key"), typo.getMessage());
    }
}
