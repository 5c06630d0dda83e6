package warren.discovery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the configured backend among the {@link PeerDiscoveryFactory} implementations on the
 * class path and creates it.
 *
 * <p>{@code cluster_formation.peer_discovery_backend} accepts what RabbitMQ accepts: the short
 * type ({@code classic_config}), the factory's aliases ({@code classic}, {@code config}) and the
 * RabbitMQ module name ({@code rabbit_peer_discovery_classic_config}); the plugin name
 * ({@code rabbitmq_peer_discovery_k8s}) is tolerated too. Unset means {@code classic_config}.
 * Anything else fails fast with the key, the value and the types this build knows, so a typo
 * stops the node at boot instead of silently starting it standalone.
 */
public final class PeerDiscoveryLoader {

    /** The backend used when {@code cluster_formation.peer_discovery_backend} is unset. */
    public static final String DEFAULT_TYPE = "classic_config";

    private static final Logger LOG = LoggerFactory.getLogger(PeerDiscoveryLoader.class);
    private static final List<String> MODULE_PREFIXES =
            List.of("rabbit_peer_discovery_", "rabbitmq_peer_discovery_");

    /** Canonical type → factory, and every accepted spelling → canonical type. */
    private final Map<String, PeerDiscoveryFactory> byType;
    private final Map<String, String> typeByName;

    /** Loads the factories registered with {@link ServiceLoader} on this class's class loader. */
    public PeerDiscoveryLoader() {
        this(serviceFactories());
    }

    /**
     * Uses the given factories instead of {@link ServiceLoader}, e.g. in tests.
     *
     * @throws DiscoveryException when two factories claim the same type or alias
     */
    public PeerDiscoveryLoader(Iterable<? extends PeerDiscoveryFactory> factories) {
        Map<String, PeerDiscoveryFactory> types = new TreeMap<>();
        Map<String, String> names = new TreeMap<>();
        for (PeerDiscoveryFactory factory : factories) {
            String type = normalize(factory.type());
            PeerDiscoveryFactory previous = types.putIfAbsent(type, factory);
            if (previous != null) {
                throw new DiscoveryException("peer discovery type '" + type + "' is provided by both "
                        + previous.getClass().getName() + " and " + factory.getClass().getName());
            }
            claim(names, type, type);
            for (String alias : factory.aliases()) {
                claim(names, normalize(alias), type);
            }
        }
        this.byType = Collections.unmodifiableMap(types);
        this.typeByName = Collections.unmodifiableMap(names);
    }

    /**
     * Creates the backend named by {@code cluster_formation.peer_discovery_backend}.
     *
     * @throws DiscoveryException when the type is unknown, or the backend rejects its settings
     */
    public PeerDiscovery load(DiscoverySettings settings) {
        String configured = settings.get(DiscoverySettings.BACKEND_KEY).orElse(DEFAULT_TYPE);
        PeerDiscoveryFactory factory = factory(configured);
        LOG.debug("Peer discovery: using backend '{}' (configured as '{}')", factory.type(),
                configured);
        return factory.create(settings);
    }

    /**
     * The factory for a type, alias or RabbitMQ module name.
     *
     * @throws DiscoveryException naming the key, the value and the known types when none matches
     */
    public PeerDiscoveryFactory factory(String configured) {
        String type = typeByName.get(stripModulePrefix(normalize(configured)));
        if (type == null) {
            throw new DiscoveryException("config key '" + DiscoverySettings.BACKEND_KEY + "': '"
                    + configured + "' is not a known peer discovery backend; known types: "
                    + describeKnownTypes());
        }
        return byType.get(type);
    }

    /** The factories available, by canonical type. */
    public java.util.Collection<PeerDiscoveryFactory> factories() {
        return byType.values();
    }

    /** The canonical types available, sorted. */
    public Set<String> knownTypes() {
        return Collections.unmodifiableSet(new TreeSet<>(byType.keySet()));
    }

    private String describeKnownTypes() {
        if (byType.isEmpty()) {
            return "none (no backend is on the class path)";
        }
        List<String> described = new ArrayList<>();
        for (PeerDiscoveryFactory factory : byType.values()) {
            Set<String> aliases = new TreeSet<>(factory.aliases());
            described.add(aliases.isEmpty()
                    ? factory.type()
                    : factory.type() + " (also " + String.join(", ", aliases) + ")");
        }
        return String.join(", ", described);
    }

    private static void claim(Map<String, String> names, String name, String type) {
        String previous = names.putIfAbsent(name, type);
        if (previous != null && !previous.equals(type)) {
            throw new DiscoveryException("peer discovery name '" + name
                    + "' is claimed by both types '" + previous + "' and '" + type + "'");
        }
    }

    private static String stripModulePrefix(String name) {
        for (String prefix : MODULE_PREFIXES) {
            if (name.startsWith(prefix) && name.length() > prefix.length()) {
                return name.substring(prefix.length());
            }
        }
        return name;
    }

    private static String normalize(String name) {
        return Objects.requireNonNull(name, "name").trim().toLowerCase(Locale.ROOT);
    }

    private static List<PeerDiscoveryFactory> serviceFactories() {
        List<PeerDiscoveryFactory> factories = new ArrayList<>();
        try {
            ServiceLoader.load(PeerDiscoveryFactory.class, PeerDiscoveryLoader.class.getClassLoader())
                    .forEach(factories::add);
        } catch (ServiceConfigurationError e) {
            throw new DiscoveryException(
                    "a peer discovery backend could not be loaded: " + e.getMessage(), e);
        }
        return factories;
    }
}
