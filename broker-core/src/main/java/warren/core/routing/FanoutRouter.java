package warren.core.routing;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** fanout: every binding matches, whatever the key. */
final class FanoutRouter implements Router {
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();

    @Override
    public void add(Binding binding) {
        bindings.add(binding);
    }

    @Override
    public void remove(Binding binding) {
        bindings.remove(binding);
    }

    @Override
    public void route(String routingKey, Map<String, Object> headers, Collection<Binding> out) {
        out.addAll(bindings);
    }
}
