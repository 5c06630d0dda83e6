package warren.server.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import warren.core.broker.BrokerSettings;

/**
 * The validated result of loading the configuration: the core's settings, the daemon's settings
 * and every key's parsed value for modules that read their own keys (cluster_formation.*).
 *
 * @param values parsed values by key; numbered families ({@code auth_mechanisms.N}) appear under their
 *               prefix as a {@code List} in number order, named families ({@code loopback_users.NAME})
 *               as a {@code Map<String, Object>}
 */
public record WarrenConfig(BrokerSettings broker, ServerSettings server, Map<String, Object> values) {

    public Optional<Object> value(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String prefix) {
        Object v = values.get(prefix);
        return v instanceof List ? (List<String>) v : List.of();
    }
}
