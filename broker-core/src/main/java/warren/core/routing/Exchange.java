package warren.core.routing;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import warren.core.amqp.LongString;

/** An exchange: its declaration and its bindings, indexed for its type. */
public final class Exchange {
    private final String vhost;
    private final String name;
    private final ExchangeType type;
    private final boolean durable;
    private final boolean autoDelete;
    private final boolean internal;
    private final Map<String, Object> arguments;
    private final String alternateExchange;
    private final Router router;
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();

    public Exchange(String vhost, String name, ExchangeType type, boolean durable, boolean autoDelete,
                    boolean internal, Map<String, Object> arguments) {
        this.vhost = vhost;
        this.name = name;
        this.type = type;
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.internal = internal;
        this.arguments = arguments == null ? Map.of() : new LinkedHashMap<>(arguments);
        Object ae = this.arguments.get("alternate-exchange");
        this.alternateExchange = ae instanceof LongString || ae instanceof String ? ae.toString() : null;
        this.router = type.newRouter();
    }

    public String vhost() {
        return vhost;
    }

    public String name() {
        return name;
    }

    public ExchangeType type() {
        return type;
    }

    public boolean durable() {
        return durable;
    }

    public boolean autoDelete() {
        return autoDelete;
    }

    public boolean internal() {
        return internal;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    public String alternateExchange() {
        return alternateExchange;
    }

    /** Adds a binding; false if it already existed. Callers serialise mutations per vhost. */
    public boolean bind(Binding b) {
        if (!bindings.add(b)) {
            return false;
        }
        router.add(b);
        return true;
    }

    public boolean unbind(Binding b) {
        if (!bindings.remove(b)) {
            return false;
        }
        router.remove(b);
        return true;
    }

    public boolean hasBindings() {
        return !bindings.isEmpty();
    }

    public Collection<Binding> bindings() {
        return List.copyOf(bindings);
    }

    public void route(String routingKey, Map<String, Object> headers, Collection<Binding> out) {
        router.route(routingKey, headers, out);
    }

    /** Same declaration as RabbitMQ compares on redeclare: type, durable, auto-delete, internal, arguments. */
    public boolean equivalent(ExchangeType t, boolean d, boolean ad, boolean in, Map<String, Object> args) {
        return type == t && durable == d && autoDelete == ad && internal == in
                && Objects.equals(normalise(arguments), normalise(args == null ? Map.of() : args));
    }

    private static Map<String, Object> normalise(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof LongString ? v.toString() : v));
        return out;
    }
}
