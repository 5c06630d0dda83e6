package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DiscoverySettingsTest {

    private static final String NODES = "cluster_formation.classic_config.nodes";

    private static DiscoverySettings settings(Map<String, String> values) {
        return new DiscoverySettings("warren@host1", values);
    }

    @Test
    void listSortsNumberedKeysNumericallyNotAsText() {
        Map<String, String> values = new HashMap<>();
        values.put(NODES + ".10", "warren@host10");
        values.put(NODES + ".2", "warren@host2");
        values.put(NODES + ".1", "warren@host1");

        assertEquals(List.of("warren@host1", "warren@host2", "warren@host10"),
                settings(values).list(NODES));
    }

    @Test
    void listAcceptsPrefixWithTrailingDotAndGapsInNumbering() {
        DiscoverySettings settings = settings(Map.of(NODES + ".7", "b", NODES + ".3", "a"));

        assertEquals(List.of("a", "b"), settings.list(NODES + "."));
    }

    @Test
    void listIgnoresKeysOutsideTheFamily() {
        DiscoverySettings settings = settings(Map.of(
                NODES + ".1", "warren@host1",
                NODES + "_extra.1", "other",
                "cluster_formation.node_type", "disc"));

        assertEquals(List.of("warren@host1"), settings.list(NODES));
    }

    @Test
    void listOfUnsetFamilyIsEmpty() {
        assertEquals(List.of(), settings(Map.of()).list(NODES));
    }

    @Test
    void listRejectsNonNumericSuffixNamingTheKey() {
        DiscoverySettings settings = settings(Map.of(NODES + ".first", "warren@host1"));

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> settings.list(NODES));
        assertTrue(e.getMessage().contains(NODES + ".first"), e.getMessage());
        assertTrue(e.getMessage().contains(NODES + ".1"), e.getMessage());
    }

    @Test
    void listRejectsTwoKeysWithTheSameNumber() {
        DiscoverySettings settings = settings(Map.of(NODES + ".1", "a", NODES + ".01", "b"));

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> settings.list(NODES));
        assertTrue(e.getMessage().contains(NODES + ".1"), e.getMessage());
        assertTrue(e.getMessage().contains(NODES + ".01"), e.getMessage());
    }

    @Test
    void listRejectsBlankValueNamingTheKey() {
        DiscoverySettings settings = settings(Map.of(NODES + ".1", "  "));

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> settings.list(NODES));
        assertTrue(e.getMessage().contains(NODES + ".1"), e.getMessage());
    }

    @Test
    void getTrimsValuesAndReadsBlankAsAbsent() {
        DiscoverySettings settings = settings(Map.of("a", "  dns ", "b", " "));

        assertEquals(Optional.of("dns"), settings.get("a"));
        assertEquals(Optional.empty(), settings.get("b"));
        assertEquals(Optional.empty(), settings.get("c"));
    }

    @Test
    void getIntParsesValueOrReturnsDefaultWhenUnset() {
        DiscoverySettings settings = settings(Map.of("cluster_formation.discovery_retry_limit", "30"));

        assertEquals(30, settings.getInt("cluster_formation.discovery_retry_limit", 10));
        assertEquals(500, settings.getInt("cluster_formation.discovery_retry_interval", 500));
    }

    @Test
    void getIntRejectsNonNumberNamingKeyAndValue() {
        DiscoverySettings settings = settings(Map.of("cluster_formation.discovery_retry_limit", "ten"));

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> settings.getInt("cluster_formation.discovery_retry_limit", 10));
        assertTrue(e.getMessage().contains("cluster_formation.discovery_retry_limit"), e.getMessage());
        assertTrue(e.getMessage().contains("'ten'"), e.getMessage());
    }

    @Test
    void exposesLocalNodeName() {
        assertEquals("warren@host1", settings(Map.of()).localNodeName());
    }
}
