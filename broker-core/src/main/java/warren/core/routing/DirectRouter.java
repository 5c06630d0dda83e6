package warren.core.routing;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** direct: the binding key equals the routing key. */
final class DirectRouter implements Router {
    private final ConcurrentHashMap<String, Set<Binding>> byKey = new ConcurrentHashMap<>();

    @Override
    public void add(Binding binding) {
        byKey.computeIfAbsent(binding.routingKey(), k -> ConcurrentHashMap.newKeySet()).add(binding);
    }

    @Override
    public void remove(Binding binding) {
        byKey.computeIfPresent(binding.routingKey(), (k, set) -> {
            set.remove(binding);
            return set.isEmpty() ? null : set;
        });
    }

    @Override
    public void route(String routingKey, Map<String, Object> headers, Collection<Binding> out) {
        Set<Binding> set = byKey.get(routingKey);
        if (set != null) {
            out.addAll(set);
        }
    }
}
